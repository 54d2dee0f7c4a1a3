/**
 * Several training steps in one run: the step graph as the body of an ONNX `Loop` that takes a run's batches
 * along a first dimension. onnxruntime-node hands every output of a run back to JavaScript in a new buffer,
 * preallocated or not, so a run of one step copies the whole state (parameters and optimizer slots, 5 MB for
 * `classic`) into fresh memory that the garbage collector then reclaims. A run of several steps pays that once.
 */
import { onnx } from '../graph/proto.js';
import type { TrainingGraph, TrainingTensor } from './types.js';

/** The prefix of the body's own names for the values the step graph takes and gives. */
const BODY = 'step/';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;

function scalarInfo(name: string, elemType: number): onnx.ValueInfoProto.$Properties {
  return { name, type: { tensorType: { elemType, shape: { dim: [] } } } };
}

/** `value`'s type and shape under another name, with `steps` in front when `perStep`. */
function renamed(
  value: onnx.IValueInfoProto,
  name: string,
  perStep: boolean,
): onnx.ValueInfoProto.$Properties {
  const tensor = value.type!.tensorType!;
  const dims = tensor.shape?.dim ?? [];
  return {
    name,
    type: {
      tensorType: {
        elemType: tensor.elemType!,
        shape: { dim: perStep ? [{ dimParam: 'steps' }, ...dims] : [...dims] },
      },
    },
  };
}

/**
 * The training graph that runs one step per batch it is given: `Loop` over the first dimension of `images`,
 * `labels`, `learning_rate` and `seed` (one entry per step), `step` the number of the first. The parameters,
 * slots and statistics go from step to step inside onnxruntime; a run gives back the last step's, and `loss`
 * and `correct` for every step. Names, state and everything else are `step`'s, so a session drives both alike;
 * the steps of one run share their batch size. A graph that also gives gradients or dropout masks (for
 * tests: `TrainingSettings.debugOutputs`) is refused: the loop keeps only the state, the loss and the hits.
 *
 * @example
 * const looped = loopTrainingGraph(buildTrainingGraph(model, { optimizer: 'adam' }));
 * looped.inputs[0].shape; // ['steps', 'batch', 28, 28, 1]
 */
export function loopTrainingGraph(step: TrainingGraph): TrainingGraph {
  if (step.loop) throw new RangeError('the training graph already loops over its steps');
  const carried = new Set(step.state.map((tensor) => tensor.output));
  const extra = step.outputs.find(
    (tensor) =>
      tensor.name !== step.names.loss && tensor.name !== step.names.correct && !carried.has(tensor.name),
  );
  if (extra) {
    throw new RangeError(
      `a looped training graph gives only the loss, the hits and the state; '${extra.name}' (${extra.role}) is neither`,
    );
  }
  const model = onnx.ModelProto.decode(step.bytes);
  const graph = model.graph!;
  const graphInputs = graph.input ?? [];
  const graphOutputs = graph.output ?? [];
  const { names } = step;
  const perStep = new Set([names.images, names.labels, names.learningRate, names.seed]);
  // one entry per step in a run: the batch's inputs, and the loss and hits
  const oneEach = new Set([...perStep, names.loss, names.correct]);
  const stateInputs = step.state.map((tensor) => tensor.input);
  // what the Loop gives back, in ONNX's order: the carried values' last ones, then the per-step outputs
  const loopOutputs = [...step.state.map((tensor) => tensor.output), names.loss, names.correct];
  const inputInfo = new Map(graphInputs.map((value) => [value.name!, value]));
  const outputInfo = new Map(graphOutputs.map((value) => [value.name!, value]));

  // inside the body, the step graph's inputs and outputs take the body's names
  const inBody = new Map<string, string>();
  for (const value of [...graphInputs, ...graphOutputs]) inBody.set(value.name!, `${BODY}${value.name}`);
  const bodyName = (name: string) => inBody.get(name) ?? name;
  const iteration = `${BODY}iteration`;
  const condition = `${BODY}condition`;
  const bodyNodes: onnx.NodeProto.$Properties[] = [
    ...[...perStep].map((name) => ({
      name: `loop/take_${name}`,
      opType: 'Gather',
      input: [name, iteration],
      output: [bodyName(name)],
      attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
    })),
    {
      name: 'loop/iteration_as_float',
      opType: 'Cast',
      input: [iteration],
      output: [`${BODY}iteration_float`],
      attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
    },
    {
      name: 'loop/step_number',
      opType: 'Add',
      input: [names.step, `${BODY}iteration_float`],
      output: [bodyName(names.step)],
    },
    { name: 'loop/go_on', opType: 'Identity', input: [condition], output: [`${BODY}condition_next`] },
    ...(graph.node ?? []).map((node) => ({
      ...node,
      input: (node.input ?? []).map((name) => (name === '' ? name : bodyName(name))),
      output: (node.output ?? []).map(bodyName),
    })),
  ];
  const body: onnx.GraphProto.$Properties = {
    name: `${graph.name}_body`,
    node: bodyNodes,
    initializer: graph.initializer,
    input: [
      scalarInfo(iteration, INT64),
      scalarInfo(condition, BOOL),
      ...stateInputs.map((name) => renamed(inputInfo.get(name)!, bodyName(name), false)),
    ],
    output: [
      scalarInfo(`${BODY}condition_next`, BOOL),
      ...loopOutputs.map((name) => renamed(outputInfo.get(name)!, bodyName(name), false)),
    ],
  };

  // the step graph's inputs and outputs (only the loss, the hits and the state, checked above), in its order
  const outside = (value: onnx.IValueInfoProto) => renamed(value, value.name!, oneEach.has(value.name!));
  const looped: onnx.ModelProto.$Properties = {
    ...model,
    graph: {
      name: `${graph.name}_loop`,
      docString: `${graph.docString} Each run takes its steps' batches along the first dimension of ${[...perStep].join(', ')}.`,
      node: [
        {
          name: 'loop/steps',
          opType: 'Shape',
          input: [names.images],
          output: ['loop/steps_1d'],
          attribute: [{ name: 'end', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        },
        { name: 'loop/steps_scalar', opType: 'Squeeze', input: ['loop/steps_1d'], output: ['loop/steps'] },
        {
          name: 'loop',
          opType: 'Loop',
          input: ['loop/steps', '', ...stateInputs],
          output: loopOutputs,
          attribute: [{ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: body }],
        },
      ],
      input: graphInputs.map(outside),
      output: graphOutputs.map(outside),
    },
  };
  const withSteps = (tensor: TrainingTensor): TrainingTensor =>
    oneEach.has(tensor.name) ? { ...tensor, shape: ['steps', ...tensor.shape] } : tensor;
  return {
    ...step,
    bytes: onnx.ModelProto.encode(looped).finish(),
    inputs: step.inputs.map(withSteps),
    outputs: step.outputs.map(withSteps),
    loop: true,
  };
}
