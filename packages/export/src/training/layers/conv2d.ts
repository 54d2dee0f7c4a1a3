import { explicitPads, pair } from '../../converters/common.js';
import {
  type ActivationStep,
  applyTrainableActivation,
  isTrainableActivation,
  reluStep,
  TRAINABLE_ACTIVATIONS,
} from '../activations.js';
import { blockedOf, nchwcConv } from '../nchwc.js';
import { cellGradientOf, convCellsOf, gradientSumsOf } from './cells.js';
import type { TrainerConfig } from './types.js';
import { markPositionwise, windowRowsOf, windowsOf } from './windows.js';

/** The configuration a Conv2D must have to be trained, or why not. */
function check(config: Record<string, unknown>, inputShapes: (number | null)[][]): string | null {
  const shape = inputShapes[0] ?? [];
  if (shape.length !== 4 || typeof shape[1] !== 'number' || typeof shape[2] !== 'number') {
    return `its input must be [batch, height, width, channels] with known sizes, got [${shape.join(', ')}]`;
  }
  if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') return `dataFormat ${config.dataFormat}`;
  if (config.padding !== 'same' && config.padding !== 'valid') return `padding '${config.padding}'`;
  if (!isTrainableActivation(config.activation)) {
    return `activation '${config.activation}' (trainable: ${TRAINABLE_ACTIVATIONS.join(', ')})`;
  }
  const dilations = pair(config.dilationRate ?? 1, 'dilationRate');
  // tfjs has no gradient for dilated convolutions either ("dilation rates greater than 1 are not yet
  // supported in gradients"): no engine could check or continue such a run.
  if (dilations.some((d) => d > 1))
    return `dilationRate ${dilations.join('×')} (tfjs has no gradient for it either)`;
  return null;
}

/**
 * Conv2D on the NCHW value as im2col and a GEMM: the input's windows come from a one-hot Conv
 * (`windowsOf`), and the forward is a 1×1 Conv of them with the fed HWIO kernel transposed to OIHW in the
 * graph (so the parameter is tfjs's array), then the fused activation. onnxruntime's Conv with a kernel
 * that is a graph input (not a constant) is no faster, and the windows serve the kernel gradient too.
 * On onnxruntime's CPU provider with channel counts in whole NCHWc blocks, the forward is its blocked Conv
 * instead (`nchwcConv`, a relu fused), and the kernel gradient reads the windows as rows (`windowRowsOf`).
 * Gradients:
 * - kernel: one batched MatMul of the windows with the output gradient and a sum over the batch (faster
 *   here than a Conv with batch and channels swapped, which is a GEMM with only kh·kw output pixels);
 * - bias: a sum of the output gradient over batch and space;
 * - input: with stride 1 a Conv of the output gradient with the flipped, transposed kernel (faster than
 *   ConvTranspose); with stride 2 or more a ConvTranspose with the forward's pads.
 */
export const conv2dTrainer: TrainerConfig = {
  className: 'Conv2D',
  check,
  forward: (context) => {
    const { ops, config } = context;
    const input = context.inputs[0]!;
    const kernel = context.weight('kernel')!;
    const bias = context.weight('bias');
    const [kernelHeight, kernelWidth, inChannels, filters] = kernel.shape as [number, number, number, number];
    const [, height, width] = input.shape as [null, number, number, number];
    const outputShape = context.outputShapes[0]!;
    const [, outHeight, outWidth] = outputShape as [null, number, number, number];
    const strides = pair(config.strides ?? 1, 'strides');
    const dilations = pair(config.dilationRate ?? 1, 'dilationRate');
    const kernelSize: [number, number] = [kernelHeight, kernelWidth];
    const pads = explicitPads([height, width], kernelSize, strides, dilations, String(config.padding));
    const geometry = { kernel_shape: kernelSize, pads, strides, dilations };

    const taps = kernelHeight * kernelWidth;
    const patchChannels = inChannels * taps;
    const windowGeometry = { kernel: kernelSize, strides, pads, dilations };
    // The kernel as OIHW, written once when a node reads it.
    let oihw: string | undefined;
    const weights = () => (oihw ??= ops.transpose(kernel.name, [3, 2, 0, 1]));
    // On onnxruntime's CPU provider, with channel counts in whole blocks: its blocked Conv, which reads the
    // input itself (about twice as fast as the 1×1 Conv over the windows). The kernel gradient then reads
    // the windows as rows (`windowRowsOf`), built in the backward.
    const block = context.nchwcBlockSize;
    const blocked = block !== null && inChannels % block === 0 && filters % block === 0;
    let patches: string | undefined;
    let activation: ActivationStep;
    if (blocked) {
      // A relu runs inside the blocked Conv (its `activation` attribute), before the output is reordered back.
      const shape = { axes: 'HWIO', kernelHeight, kernelWidth, inChannels, outChannels: filters } as const;
      const relu = config.activation === 'relu';
      const attributes = relu ? { ...geometry, activation: 'Relu' } : geometry;
      const output = nchwcConv(ops, input.name, kernel.name, shape, block, attributes, bias?.name);
      activation = relu ? reluStep(ops, output) : applyTrainableActivation(ops, output, config.activation, 1);
    } else {
      // The input's windows, `[batch, inChannels·kh·kw, outHeight, outWidth]`: the forward is then a 1×1 Conv
      // (a plain GEMM, no im2col inside), and the kernel gradient reuses them.
      patches = windowsOf(ops, input.name, inChannels, windowGeometry, context.groupedWindows);
      const pointwise = ops.reshape(weights(), [filters, patchChannels, 1, 1]);
      const linear = ops.node('Conv', bias ? [patches, pointwise, bias.name] : [patches, pointwise], {
        kernel_shape: [1, 1],
        pads: [0, 0, 0, 0],
        strides: [1, 1],
        group: 1,
      });
      activation = applyTrainableActivation(ops, linear, config.activation, 1);
    }
    // With no input gradient, a tiling max-pool after this conv may have the windows' columns listed in
    // its cell order (it then skips its own listing GEMMs): the output and gradients follow the windows.
    if (!context.inputsNeedGradient[0] && patches !== undefined)
      markPositionwise(ops.graph, activation.output, patches, inChannels, windowGeometry, {
        scope: ops.prefix,
        input: input.name,
        kernel: kernel.name,
        ...(bias ? { bias: bias.name } : {}),
        filters,
        activation: String(config.activation ?? 'linear'),
      });

    return {
      outputs: [{ name: activation.output, shape: outputShape }],
      backward: ([outputGradient]) => {
        if (outputGradient === undefined) return [undefined];
        const gradient = activation.backward(outputGradient);
        // A conv written once per cell of the pool after it (`splitConvByCell`) gets its gradient by cell
        // too, as what reaches each cell (`reaching[c]`; cell c's share is `reaching[c] − reaching[c + 1]`).
        // By summation by parts, Σ_c share_c·windows_c = Σ_c reaching[c]·(windows_c − windows_{c−1}): the
        // windows' differences (nine values a position) stand in for the shares' (one per filter), and the
        // bias gradient, the sum of all shares, is the sum of `reaching[0]`.
        const cellWindows = convCellsOf(ops.graph, activation.output);
        const cellGradient =
          cellWindows && gradient === outputGradient ? cellGradientOf(ops.graph, gradient) : undefined;
        const byCell = cellWindows !== undefined && cellGradient !== undefined;
        const pieces = byCell ? cellGradient.reaching : [gradient];
        // The pieces in onnxruntime's channel blocks (a pool over cells written as blocked Convs).
        const pieceBlock = byCell ? cellGradient.block : null;
        const pieceWindows = byCell
          ? cellWindows.map((windows, cell) =>
              cell === 0 ? windows : ops.sub(windows, cellWindows[cell - 1]!),
            )
          : patches === undefined
            ? undefined
            : [patches];
        const positions = (outHeight * outWidth) / pieces.length;
        const rowsOf = (value: string, channels: number) => ops.reshape(value, [-1, channels, positions]);
        // Over space, then over the batch: two short float32 sums round less than one long one, and near a
        // batch norm the bias gradient is a small difference of large terms. A blocked max-pool after the
        // conv gives those sums at its output's size (`markGradientSums`), with every blocked cell gradient
        // it hands back, so the pieces summed here are always NCHW.
        if (bias) {
          const sums = gradient === outputGradient ? gradientSumsOf(ops.graph, gradient) : undefined;
          context.addGradient(
            'bias',
            sums ?? ops.reduceSum(ops.reduceSum(rowsOf(pieces[0]!, filters), [2]), [0]),
          );
        }

        // Kernel: Σ over batch and output pixels of patches × output gradient.
        let kernelGradient: string;
        if (pieceWindows !== undefined && pieceBlock !== null) {
          // Blocked pieces, `[batch, filters / block, positions, block]`: each cell's windows `[batch, 1,
          // patchChannels, positions]` times its piece, a GEMM per image and block with no transposes.
          const product = ops.sum(
            pieces.map((piece, index) =>
              ops.node('MatMul', [
                ops.reshape(pieceWindows[index]!, [-1, 1, patchChannels, positions]),
                ops.reshape(piece, [-1, filters / pieceBlock, positions, pieceBlock]),
              ]),
            ),
          );
          // `[filters / block, patchChannels, block]` → `[patchChannels, filters]`: HWIO for one input channel.
          const summed = ops.transpose(ops.reduceSum(product, [0]), [1, 0, 2]);
          kernelGradient = ops.reshape(summed, [kernelHeight, kernelWidth, inChannels, filters]);
        } else if (pieceWindows === undefined) {
          // `[batch, filters, positions] × [batch, positions, taps·inChannels]`, summed over the batch: the
          // kernel's HWIO axes, transposed.
          const rows = windowRowsOf(
            ops,
            input.name,
            inChannels,
            [height, width],
            [outHeight, outWidth],
            windowGeometry,
            blocked ? blockedOf(ops, input.name, inChannels) : undefined,
          );
          // Deep, small maps (a window row more than four times a map's positions: `best`'s 7×7 residual convs,
          // 576 against 49): one GEMM over the whole batch, the gradient transposed to `[filters,
          // batch·positions]`, since the per-image products would be that many times the gradient's size,
          // written and summed. On `best`'s step (2 threads, profiled): each residual conv 4.9-6.6 against
          // 7.8-8.1 ms of kernel time, and the step about 3% shorter (blocks alternating in one process, both
          // orders). Nearer (`classic`'s second conv, 288 against 196; the `dropout` preset's, 288 against
          // 121), the transpose and the one GEMM took what the batched products and the sum did, or more.
          const summed =
            patchChannels > 4 * outHeight * outWidth
              ? ops.node('MatMul', [
                  ops.reshape(ops.transpose(rowsOf(gradient, filters), [1, 0, 2]), [filters, -1]),
                  ops.reshape(rows, [-1, patchChannels]),
                ])
              : ops.reduceSum(ops.node('MatMul', [rowsOf(gradient, filters), rows]), [0]);
          kernelGradient = ops.reshape(ops.transpose(summed, [1, 0]), [
            kernelHeight,
            kernelWidth,
            inChannels,
            filters,
          ]);
        } else if (filters <= patchChannels) {
          const product = ops.sum(
            pieces.map((piece, index) =>
              ops.node('MatMul', [
                rowsOf(pieceWindows[index]!, patchChannels),
                ops.transpose(rowsOf(piece, filters), [0, 2, 1]),
              ]),
            ),
          );
          const summed = ops.reshape(ops.reduceSum(product, [0]), [
            inChannels,
            kernelHeight,
            kernelWidth,
            filters,
          ]);
          kernelGradient = ops.transpose(summed, [1, 2, 0, 3]);
        } else {
          const product = ops.sum(
            pieces.map((piece, index) =>
              ops.node('MatMul', [
                rowsOf(piece, filters),
                ops.transpose(rowsOf(pieceWindows[index]!, patchChannels), [0, 2, 1]),
              ]),
            ),
          );
          const summed = ops.reshape(ops.reduceSum(product, [0]), [
            filters,
            inChannels,
            kernelHeight,
            kernelWidth,
          ]);
          kernelGradient = ops.transpose(summed, [2, 3, 1, 0]);
        }
        context.addGradient('kernel', kernelGradient);

        if (!context.inputsNeedGradient[0]) return [undefined];
        if (strides[0] === 1 && strides[1] === 1) {
          // Flip the taps (reverse the flattened kh·kw axis): HWIO still, then the conv's own layout.
          const reversed = Array.from({ length: taps }, (_, index) => taps - 1 - index);
          const flat = ops.reshape(kernel.name, [taps, inChannels, filters]);
          const flipped = ops.node('Gather', [flat, ops.int32s([taps], reversed, 'reversed_taps')], {
            axis: 0,
          });
          const effective = kernelSize.map((size, axis) => (size - 1) * dilations[axis]! + 1);
          const before = [effective[0]! - 1 - pads[0]!, effective[1]! - 1 - pads[1]!];
          const after = [
            height - outHeight - before[0]! + effective[0]! - 1,
            width - outWidth - before[1]! + effective[1]! - 1,
          ];
          const attributes = {
            kernel_shape: kernelSize,
            pads: [...before, ...after],
            strides: [1, 1],
            dilations,
          };
          if (blocked) {
            const shape = {
              axes: 'HWOI',
              kernelHeight,
              kernelWidth,
              inChannels: filters,
              outChannels: inChannels,
            } as const;
            return [nchwcConv(ops, gradient, flipped, shape, block, attributes)];
          }
          // Swap in/out channels: [Ci, Co, kh, kw].
          const flippedWeights = ops.transpose(
            ops.reshape(flipped, [kernelHeight, kernelWidth, inChannels, filters]),
            [2, 3, 0, 1],
          );
          return [ops.node('Conv', [gradient, flippedWeights], { ...attributes, group: 1 })];
        }
        const effective = kernelSize.map((size, axis) => (size - 1) * dilations[axis]! + 1);
        const outputPadding = [
          height - (strides[0] * (outHeight - 1) + effective[0]! - pads[0]! - pads[2]!),
          width - (strides[1] * (outWidth - 1) + effective[1]! - pads[1]! - pads[3]!),
        ];
        return [
          ops.node('ConvTranspose', [gradient, weights()], {
            ...geometry,
            group: 1,
            output_padding: outputPadding,
          }),
        ];
      },
    };
  },
};
