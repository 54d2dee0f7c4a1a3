import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels, wasmTrainingKernelNames } from '../src/kernels/index.js';
import { useWasmTrainingBackend } from '../src/kernels/wasm-setup.js';

/** A small deterministic generator so every run checks the same random shapes and values. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValues(shape: number[], random: () => number): Float32Array {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = random() * 2 - 1;
  return values;
}

/** Runs one kernel on a backend with fresh tensors made from `values`; returns its output. */
async function runOn(
  backend: 'cpu' | 'wasm',
  kernelName: string,
  inputs: Record<string, { values: Float32Array; shape: number[] }>,
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors: tf.NamedTensorMap = {};
    for (const [name, input] of Object.entries(inputs)) tensors[name] = tf.tensor(input.values, input.shape);
    const output = tf.engine().runKernel(kernelName, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
    return { shape: output.shape, values: output.dataSync() as Float32Array };
  });
}

/** Asserts every value agrees to 1e-4 (relative to the value's size when it is above 1). */
function assertClose(
  actual: { shape: number[]; values: Float32Array },
  expected: typeof actual,
  what: string,
) {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  for (let i = 0; i < expected.values.length; i++) {
    const want = expected.values[i]!;
    const got = actual.values[i]!;
    const tolerance = 1e-4 * Math.max(1, Math.abs(want));
    if (!(Math.abs(got - want) <= tolerance)) {
      assert.fail(`${what}: element ${i} is ${got}, cpu gives ${want}`);
    }
  }
}

async function compareWithCpu(
  kernelName: string,
  inputs: Record<string, { values: Float32Array; shape: number[] }>,
  attrs: Record<string, unknown>,
  what: string,
) {
  const expected = await runOn('cpu', kernelName, inputs, attrs);
  const actual = await runOn('wasm', kernelName, inputs, attrs);
  assertClose(actual, expected, what);
}

interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  filter: [number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number;
}

const convCases: ConvCase[] = [
  {
    batch: 1,
    height: 5,
    width: 5,
    inChannels: 1,
    outChannels: 4,
    filter: [3, 3],
    strides: [1, 1],
    pad: 'same',
  },
  {
    batch: 3,
    height: 9,
    width: 7,
    inChannels: 2,
    outChannels: 5,
    filter: [3, 3],
    strides: [2, 2],
    pad: 'same',
  },
  {
    batch: 3,
    height: 9,
    width: 7,
    inChannels: 2,
    outChannels: 5,
    filter: [3, 3],
    strides: [2, 2],
    pad: 'valid',
  },
  {
    batch: 2,
    height: 11,
    width: 10,
    inChannels: 3,
    outChannels: 4,
    filter: [5, 5],
    strides: [2, 2],
    pad: 'valid',
  },
  {
    batch: 5,
    height: 8,
    width: 6,
    inChannels: 4,
    outChannels: 3,
    filter: [2, 3],
    strides: [1, 2],
    pad: 'same',
  },
  {
    batch: 2,
    height: 7,
    width: 7,
    inChannels: 3,
    outChannels: 2,
    filter: [1, 1],
    strides: [3, 3],
    pad: 'valid',
  },
  { batch: 1, height: 6, width: 9, inChannels: 2, outChannels: 3, filter: [3, 3], strides: [1, 1], pad: 1 },
  {
    batch: 7,
    height: 14,
    width: 14,
    inChannels: 8,
    outChannels: 16,
    filter: [3, 3],
    strides: [1, 1],
    pad: 'same',
  },
];

function describeCase(c: ConvCase): string {
  return `batch ${c.batch}, ${c.height}×${c.width}×${c.inChannels} → ${c.outChannels}, filter ${c.filter.join('×')}, stride ${c.strides.join('×')}, pad ${c.pad}`;
}

function outputShape(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, c.height, c.width, c.inChannels],
    [c.filter[0], c.filter[1], c.inChannels, c.outChannels],
    c.strides,
    1,
    c.pad,
  );
  return info.outShape;
}

before(async () => {
  await useWasmTrainingBackend();
});

describe('wasm training kernel registry', () => {
  test('registerWasmTrainingKernels is idempotent and registers every kernel for wasm', () => {
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    const names = wasmTrainingKernelNames();
    assert.ok(names.includes('Conv2DBackpropFilter'));
    for (const name of names) assert.ok(tf.getKernel(name, 'wasm'), `${name} registered for wasm`);
  });
});

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  const random = seededRandom(7);
  for (const c of convCases) {
    test(describeCase(c), async () => {
      const xShape = [c.batch, c.height, c.width, c.inChannels];
      const dyShape = outputShape(c);
      await compareWithCpu(
        'Conv2DBackpropFilter',
        {
          x: { values: randomValues(xShape, random), shape: xShape },
          dy: { values: randomValues(dyShape, random), shape: dyShape },
        },
        {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          filterShape: [c.filter[0], c.filter[1], c.inChannels, c.outChannels],
        },
        describeCase(c),
      );
    });
  }

  test('a conv net trains on wasm: tf.grad through conv2d gives the cpu gradient', async () => {
    const random = seededRandom(11);
    const x = randomValues([2, 8, 8, 3], random);
    const w = randomValues([3, 3, 3, 4], random);
    const gradients = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const images = tf.tensor4d(x, [2, 8, 8, 3]);
        const loss = (filter: tf.Tensor) =>
          tf
            .conv2d(images, filter as tf.Tensor4D, 2, 'same')
            .relu()
            .square()
            .sum();
        const gradient = tf.grad(loss)(tf.tensor4d(w, [3, 3, 3, 4]));
        return { shape: gradient.shape, values: gradient.dataSync() as Float32Array };
      });
    };
    const expected = await gradients('cpu');
    const actual = await gradients('wasm');
    assertClose(actual, expected, 'gradient of a strided conv2d');
  });
});
