import { readFile } from 'node:fs/promises';
import { readOnnx } from '@cnnx/export';
// the Keras file test alone; the reader (and TensorFlow.js) loads only for a Keras file
import { detectKerasFormat } from '@cnnx/train/keras-format';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatShape } from '../format.js';
import { printJson, say } from '../io.js';
import { INPUT_SCALE_HELP, inputScale } from '../options.js';

interface InspectFlags {
  json?: boolean;
  inputScale?: string;
}

/** A Keras file: Keras's layer table with its parameter counts, the Keras version and backend. */
async function inspectKeras(file: string, flags: InspectFlags): Promise<void> {
  const { formatKerasSummary, initBackend, readKerasModel } = await import('@cnnx/train');
  await initBackend('auto');
  const keras = await readKerasModel(file, flags.inputScale ? { inputScale: flags.inputScale } : {});
  const { model, ...described } = keras;
  const summary = formatKerasSummary(keras);
  model.dispose();
  if (flags.json) {
    const sum = (count: (layer: (typeof keras.layers)[number]) => number) =>
      keras.layers.reduce((total, layer) => total + count(layer), 0);
    const parameters = sum((layer) => layer.parameters);
    const trainableParameters = sum((layer) => layer.trainableParameters);
    printJson({ ...described, modelName: model.name, parameters, trainableParameters });
    return;
  }
  say(summary);
}

/** `cnnx inspect FILE`: an ONNX file's inputs, outputs, opset, metadata and operators, or a Keras file's layers. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('inspect')
    .description(
      'describe an ONNX file (inputs, outputs, opset, metadata, operators) or a Keras .h5/.keras file (layers, parameters, Keras version, backend)',
    )
    .argument('<file>', 'ONNX file, or Keras .h5/.keras file')
    .option(
      '--input-scale <scale>',
      `${INPUT_SCALE_HELP} (Keras files; shown as export would write it)`,
      inputScale(),
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  cnnx inspect runs/quickstart/model.onnx --json\n  cnnx inspect mnist.h5',
    )
    .action(async (file: string, flags: InspectFlags) => {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (error) {
        throw new CliError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code})`, {
          cause: error,
        });
      }
      if (detectKerasFormat(bytes) !== null || /\.(h5|hdf5|keras)$/i.test(file)) {
        await inspectKeras(file, flags);
        return;
      }
      let info: ReturnType<typeof readOnnx>;
      try {
        info = readOnnx(bytes);
      } catch (error) {
        throw new CliError(`${file}: ${(error as Error).message}`, { cause: error });
      }
      if (flags.json) {
        printJson({ file, bytes: bytes.byteLength, ...info });
        return;
      }
      const lines = [
        `${file} (${bytes.byteLength} bytes)`,
        `producer   ${info.producerName} ${info.producerVersion}, IR ${info.irVersion}, opset ${info.opset}`,
        `graph      ${info.graphName}: ${info.nodeCount} nodes, ${info.initializerCount} initializers, ${info.parameterCount} parameters`,
        ...info.inputs.map((input) => `input      ${input.name}: ${input.type} ${formatShape(input.shape)}`),
        ...info.outputs.map(
          (output) => `output     ${output.name}: ${output.type} ${formatShape(output.shape)}`,
        ),
        ...Object.entries(info.metadata).map(([key, value]) => `metadata   ${key} = ${value}`),
        'operators',
        ...Object.entries(info.operators).map(([op, count]) => `  ${op.padEnd(22)} ${count}`),
      ];
      say(lines.join('\n'));
    });
}
