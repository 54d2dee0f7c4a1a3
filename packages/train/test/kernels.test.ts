import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createRandom } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernelNames,
} from '../src/kernels/index.js';
import { swapOuterAndInner } from '../src/kernels/transpose.js';
import { useWasmTrainingBackend } from '../src/kernels/wasm-setup.js';
import { simdLoops } from '../src/kernels/wasm-simd.js';
import { registerBatchNormGradient } from '../src/training/batch-norm-gradient.js';

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
  // Unit stride, 8 ≤ ci ≤ co: the filter gradient takes x as the convolution's filter.
  {
    batch: 3,
    height: 9,
    width: 10,
    inChannels: 8,
    outChannels: 12,
    filter: [3, 3],
    strides: [1, 1],
    pad: 'valid',
  },
  {
    batch: 2,
    height: 7,
    width: 8,
    inChannels: 9,
    outChannels: 9,
    filter: [2, 3],
    strides: [1, 1],
    pad: 'same',
  },
  { batch: 1, height: 9, width: 9, inChannels: 8, outChannels: 10, filter: [5, 5], strides: [1, 1], pad: 1 },
  // kh·kw·ci < co: the filter gradient goes through the patch-matrix route.
  {
    batch: 3,
    height: 11,
    width: 9,
    inChannels: 1,
    outChannels: 16,
    filter: [3, 3],
    strides: [2, 2],
    pad: 'same',
  },
  {
    batch: 2,
    height: 8,
    width: 8,
    inChannels: 2,
    outChannels: 12,
    filter: [2, 2],
    strides: [1, 1],
    pad: 'valid',
  },
  {
    batch: 4,
    height: 28,
    width: 28,
    inChannels: 1,
    outChannels: 32,
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

  test("the WebAssembly SIMD loops load on the backend's memory, so the tests below exercise them", async () => {
    await tf.setBackend('wasm');
    const loops = simdLoops(tf.backend() as BackendWasm);
    assert.ok(loops, 'simdLoops returned null: the kernels would fall back to their JavaScript loops');
    assert.equal(simdLoops(tf.backend() as BackendWasm), loops, 'compiled once per memory');
  });
});

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  const random = createRandom(7).next;
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
    const random = createRandom(11).next;
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

describe('Conv2DBackpropInput on wasm matches cpu', () => {
  const random = createRandom(13).next;
  for (const c of convCases) {
    test(describeCase(c), async () => {
      const filterShape = [c.filter[0], c.filter[1], c.inChannels, c.outChannels];
      const dyShape = outputShape(c);
      await compareWithCpu(
        'Conv2DBackpropInput',
        {
          dy: { values: randomValues(dyShape, random), shape: dyShape },
          filter: { values: randomValues(filterShape, random), shape: filterShape },
        },
        {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          inputShape: [c.batch, c.height, c.width, c.inChannels],
        },
        describeCase(c),
      );
    });
  }

  test('padding wider than the filter is handed to the stock kernel and still matches', async () => {
    const random = createRandom(17).next;
    const dyShape = [2, 23, 23, 3];
    await compareWithCpu(
      'Conv2DBackpropInput',
      {
        dy: { values: randomValues(dyShape, random), shape: dyShape },
        filter: { values: randomValues([2, 2, 2, 3], random), shape: [2, 2, 2, 3] },
      },
      { strides: 1, pad: 4, dataFormat: 'NHWC', inputShape: [2, 16, 16, 2] },
      'pad 4 with a 2×2 filter',
    );
  });
});

describe('MaxPoolGrad on wasm matches cpu', () => {
  const random = createRandom(19).next;
  const poolCases = [
    // 2×2, stride 2 with channels a multiple of 4: the WebAssembly SIMD path (classic's two pools,
    // then odd sizes whose last row and column no window covers).
    { shape: [64, 28, 28, 32], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [4, 14, 14, 64], filterSize: 2, strides: 2, pad: 'same' },
    { shape: [2, 7, 9, 8], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [1, 7, 7, 3], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [3, 7, 9, 5], filterSize: 2, strides: 2, pad: 'same' },
    { shape: [2, 9, 8, 4], filterSize: 3, strides: 2, pad: 'same' },
    { shape: [2, 10, 10, 3], filterSize: 3, strides: 1, pad: 'valid' },
    { shape: [5, 6, 6, 2], filterSize: [2, 3], strides: [1, 2], pad: 'valid' },
  ] as const;
  for (const c of poolCases) {
    test(`${c.shape.join('×')}, window ${c.filterSize}, stride ${c.strides}, pad ${c.pad}`, async () => {
      const shape = [...c.shape];
      const values = randomValues(shape, random);
      // ReLU outputs are full of equal zeros: check that ties go where the cpu sends them.
      for (let i = 0; i < values.length; i += 3) values[i] = 0;
      const output = await runOn(
        'cpu',
        'MaxPool',
        { x: { values, shape } },
        { ...c, dimRoundingMode: undefined },
      );
      await compareWithCpu(
        'MaxPoolGrad',
        {
          dy: { values: randomValues(output.shape, random), shape: output.shape },
          input: { values, shape },
          output: { values: output.values, shape: output.shape },
        },
        { filterSize: c.filterSize, strides: c.strides, pad: c.pad },
        'max pool gradient',
      );
    });
  }
});

describe('BatchMatMul on wasm matches cpu with transposed operands', () => {
  const random = createRandom(23).next;
  const cases = [
    { a: [64, 3136], b: [64, 128], transposeA: true, transposeB: false },
    // b large: computed as (b · aᵀ)ᵀ.
    { a: [64, 128], b: [3136, 128], transposeA: false, transposeB: true },
    { a: [1, 3, 5], b: [1, 9, 5], transposeA: false, transposeB: true },
    // b small: transposed as it is.
    { a: [9, 5], b: [3, 5], transposeA: false, transposeB: true },
    { a: [5, 3], b: [7, 5], transposeA: true, transposeB: true },
    { a: [2, 7, 4], b: [2, 7, 3], transposeA: true, transposeB: false },
    { a: [3, 4], b: [4, 6], transposeA: false, transposeB: false },
    // Small products (the last Dense layer's).
    { a: [1, 64, 128], b: [1, 128, 10], transposeA: false, transposeB: false },
    { a: [1, 64, 10], b: [1, 128, 10], transposeA: false, transposeB: true },
    { a: [64, 128], b: [64, 10], transposeA: true, transposeB: false },
    { a: [1, 2, 3], b: [2, 3, 4], transposeA: false, transposeB: false },
  ];
  for (const c of cases) {
    test(`[${c.a}] × [${c.b}], transposeA ${c.transposeA}, transposeB ${c.transposeB}`, async () => {
      await compareWithCpu(
        'BatchMatMul',
        {
          a: { values: randomValues(c.a, random), shape: c.a },
          b: { values: randomValues(c.b, random), shape: c.b },
        },
        { transposeA: c.transposeA, transposeB: c.transposeB },
        'matrix product',
      );
    });
  }
});

describe('Sum on wasm matches cpu', () => {
  const random = createRandom(29).next;
  const cases = [
    // Leading axes and an even column count: WebAssembly SIMD; an odd count: the JavaScript loop.
    { shape: [64, 28, 28, 32], axis: [0, 1, 2], keepDims: false },
    { shape: [64, 14, 14, 64], axis: [0, 1, 2], keepDims: false },
    { shape: [5, 7, 3], axis: [0], keepDims: false },
    { shape: [7, 5, 3, 4], axis: [2, 0, 1], keepDims: true },
    { shape: [9, 6], axis: 0, keepDims: false },
    { shape: [4, 5, 6], axis: [1], keepDims: false },
    { shape: [4, 5, 6], axis: [0, 1, 2], keepDims: false },
    { shape: [3, 4], axis: -1, keepDims: true },
  ];
  for (const c of cases) {
    test(`[${c.shape}] over axis ${JSON.stringify(c.axis)}, keepDims ${c.keepDims}`, async () => {
      await compareWithCpu(
        'Sum',
        { x: { values: randomValues(c.shape, random), shape: c.shape } },
        { axis: c.axis, keepDims: c.keepDims },
        'sum',
      );
    });
  }
});

describe('Mean on wasm matches cpu', () => {
  const random = createRandom(61).next;
  const cases = [
    // Leading axes (batch norm's moments): column totals, SIMD for an even count, JavaScript for an odd one.
    { shape: [64, 28, 28, 32], axis: [0, 1, 2], keepDims: false },
    { shape: [64, 14, 14, 64], axis: [0, 1, 2], keepDims: true },
    { shape: [5, 7, 3], axis: [1, 0], keepDims: false },
    { shape: [9, 6], axis: 0, keepDims: false },
    // Otherwise the stock kernel.
    { shape: [4, 5, 6], axis: [1], keepDims: false },
    { shape: [4, 5, 6], axis: [0, 1, 2], keepDims: false },
    { shape: [3, 4], axis: -1, keepDims: true },
  ];
  for (const c of cases) {
    test(`[${c.shape}] over axis ${JSON.stringify(c.axis)}, keepDims ${c.keepDims}`, async () => {
      // Values around 3 rather than 0, so the means are not lost in the rounding of a sum near zero.
      const values = randomValues(c.shape, random).map((value) => value + 3);
      await compareWithCpu(
        'Mean',
        { x: { values, shape: c.shape } },
        { axis: c.axis, keepDims: c.keepDims },
        'mean',
      );
    });
  }
});

describe('FusedBatchNorm on wasm matches cpu', () => {
  const random = createRandom(67).next;
  const cases = [
    // One value per channel, channels a multiple of four: WebAssembly SIMD (statistics as [C] or [1, 1, 1, C]).
    { x: [64, 14, 14, 64], statistics: [64], scale: true, offset: true },
    { x: [3, 5, 7, 8], statistics: [1, 1, 1, 8], scale: true, offset: true },
    { x: [4, 1, 1, 12], statistics: [12], scale: false, offset: true },
    { x: [2, 3, 3, 4], statistics: [4], scale: true, offset: false },
    // Otherwise the stock kernel.
    { x: [2, 3, 3, 6], statistics: [6], scale: true, offset: true },
    { x: [2, 3, 3, 4], statistics: [2, 3, 3, 4], scale: true, offset: true },
  ];
  for (const c of cases) {
    const parts = `${c.scale ? 'scale' : 'no scale'}, ${c.offset ? 'offset' : 'no offset'}`;
    test(`[${c.x}] with statistics [${c.statistics}], ${parts}`, async () => {
      const statistics = (shift: number) => ({
        values: randomValues(c.statistics, random).map((value) => value + shift),
        shape: c.statistics,
      });
      await compareWithCpu(
        'FusedBatchNorm',
        {
          x: { values: randomValues(c.x, random), shape: c.x },
          mean: statistics(0),
          variance: statistics(1.5),
          ...(c.scale ? { scale: statistics(1) } : {}),
          ...(c.offset ? { offset: statistics(0) } : {}),
        },
        { varianceEpsilon: 1e-3 },
        'batch norm',
      );
    });
  }
});

describe("batch norm's gradient on wasm matches cpu", () => {
  const random = createRandom(71).next;
  /**
   * Gradients of Σ w · batchNorm(x, moments(x), offset, scale) with respect to x, scale and offset.
   * (tfjs's gradient tape needs both scale and offset, so there is no case without them.)
   */
  const gradientsOn = async (
    backend: 'cpu' | 'wasm',
    shape: number[],
    values: { x: Float32Array; weights: Float32Array; scale: Float32Array; offset: Float32Array },
  ) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const channels = shape.at(-1)!;
      const axes = shape.slice(0, -1).map((_, axis) => axis);
      const weights = tf.tensor(values.weights, shape);
      const loss = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, axes);
        return tf.sum(tf.mul(tf.batchNorm(x, mean, variance, offset, scale, 1e-3), weights));
      };
      const inputs = [
        tf.tensor(values.x, shape),
        tf.tensor(values.scale, [channels]),
        tf.tensor(values.offset, [channels]),
      ];
      return tf
        .grads(loss)(inputs)
        .map((gradient) => ({ shape: gradient.shape, values: gradient.dataSync() as Float32Array }));
    });
  };
  const cases = [
    // Channels a multiple of four: WebAssembly SIMD; otherwise the kernel's JavaScript loops.
    { shape: [64, 14, 14, 64] },
    { shape: [6, 5, 7, 8] },
    { shape: [5, 3, 3, 6] },
    { shape: [16, 12] },
  ];
  for (const c of cases) {
    test(`[${c.shape}]`, async () => {
      registerBatchNormGradient();
      const channels = c.shape.at(-1)!;
      const values = {
        x: randomValues(c.shape, random).map((value) => value * 2 + 0.5),
        weights: randomValues(c.shape, random),
        scale: randomValues([channels], random).map((value) => value * 0.2 + 1),
        offset: randomValues([channels], random),
      };
      const expected = await gradientsOn('cpu', c.shape, values);
      const actual = await gradientsOn('wasm', c.shape, values);
      ['dx', 'dscale', 'doffset'].forEach((name, index) => {
        assertClose(actual[index]!, expected[index]!, name);
      });
    });
  }

  test('runs one CnnxBatchNormGrad kernel on wasm, and the tfjs-op gradient once the kernels are removed', async () => {
    registerBatchNormGradient();
    await tf.setBackend('wasm');
    const x = tf.randomNormal([4, 3, 3, 8], 0, 1, 'float32', 5);
    const [offset, scale] = [tf.zeros([8]), tf.ones([8])];
    const kernelsOfGradient = async () => {
      const loss = (input: tf.Tensor) => {
        const { mean, variance } = tf.moments(input, [0, 1, 2]);
        return tf.batchNorm(input, mean, variance, offset, scale, 1e-3);
      };
      const profile = await tf.profile(() => tf.grad(loss)(x));
      return profile.kernels.map((kernel) => kernel.name);
    };
    assert.ok((await kernelsOfGradient()).includes('CnnxBatchNormGrad'));
    unregisterWasmTrainingKernels();
    try {
      const names = await kernelsOfGradient();
      assert.ok(!names.includes('CnnxBatchNormGrad'), names.join(', '));
    } finally {
      registerWasmTrainingKernels();
      tf.dispose([x, offset, scale]);
    }
  });
});

describe('Identity on wasm shares data instead of copying it', () => {
  test('a clone is the same data, outlives its source, and keeps its values when a variable moves on', async () => {
    await tf.setBackend('wasm');
    const source = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const copy = tf.clone(source);
    assert.equal(copy.dataId, source.dataId);
    source.dispose();
    assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3, 4, 5, 6]);
    copy.dispose();

    const weights = tf.variable(tf.tensor1d([1, 2, 3]), true, 'identity-test/w');
    const saved = weights.clone(); // as the gradient tape keeps a layer's inputs
    weights.assign(tf.tensor1d([7, 8, 9]));
    assert.deepEqual(Array.from(saved.dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(weights.dataSync()), [7, 8, 9]);
    tf.dispose([weights, saved]);
  });

  test('string tensors still go to the stock kernel', async () => {
    await tf.setBackend('wasm');
    const words = tf.tensor1d(['a', 'bc']);
    const copy = tf.clone(words);
    assert.deepEqual(copy.dataSync(), words.dataSync());
    tf.dispose([words, copy]);
  });
});

describe('Cast on wasm shares data when the dtype does not change', () => {
  test('float32 to float32 is the same data; to int32 it still converts', async () => {
    await tf.setBackend('wasm');
    const values = tf.tensor1d([-1.5, 0, 2.7]);
    const same = tf.cast(values, 'float32');
    assert.equal(same.dataId, values.dataId);
    values.dispose();
    assert.deepEqual(Array.from(same.dataSync()), [-1.5, 0, 2.7].map(Math.fround));
    const whole = tf.cast(same, 'int32');
    assert.notEqual(whole.dataId, same.dataId);
    assert.deepEqual(Array.from(whole.dataSync()), [-1, 0, 2]);
    tf.dispose([same, whole]);
  });
});

describe("ReLU's gradient on wasm matches cpu", () => {
  const random = createRandom(31).next;
  // A multiple of four values: all WebAssembly SIMD; 105 values: SIMD then the JavaScript tail.
  for (const shape of [
    [64, 14, 14, 64],
    [5, 7, 3],
  ]) {
    test(`[${shape}], with exact zeros in x`, async () => {
      const x = randomValues(shape, random);
      for (let i = 0; i < x.length; i += 7) x[i] = 0;
      const dy = randomValues(shape, random);
      const gradientOn = async (backend: 'cpu' | 'wasm') => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const dx = tf.grad((input: tf.Tensor) => tf.relu(input))(tf.tensor(x, shape), tf.tensor(dy, shape));
          return { shape: dx.shape, values: dx.dataSync() as Float32Array };
        });
      };
      const expected = await gradientOn('cpu');
      assertClose(await gradientOn('wasm'), expected, 'relu gradient');
    });
  }

  test('runs one CnnxReluGrad kernel on wasm, and tfjs gradient again once the kernels are removed', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([-1, 0, 2, 3]);
    const kernelsOfGradient = async () => {
      const profile = await tf.profile(() => tf.grad((input: tf.Tensor) => tf.relu(input))(x));
      return profile.kernels.map((kernel) => kernel.name);
    };
    assert.ok((await kernelsOfGradient()).includes('CnnxReluGrad'));
    unregisterWasmTrainingKernels();
    try {
      const names = await kernelsOfGradient();
      assert.ok(!names.includes('CnnxReluGrad') && names.includes('Step'), names.join(', '));
    } finally {
      registerWasmTrainingKernels();
      x.dispose();
    }
  });
});

describe('swapOuterAndInner on wasm matches a cpu transpose', () => {
  const random = createRandom(37).next;
  // Multiples of four: WebAssembly SIMD; otherwise the stock Transpose.
  for (const shape of [
    [64, 196, 64],
    [8, 3, 12],
    [4, 1, 3136],
    [6, 2, 5],
  ] as [number, number, number][]) {
    test(`[${shape}] -> [${[...shape].reverse()}]`, async () => {
      const values = randomValues(shape, random);
      await tf.setBackend('cpu');
      const expected = tf.tidy(() => {
        const swapped = tf.transpose(tf.tensor(values, shape), [2, 1, 0]);
        return { shape: swapped.shape, values: swapped.dataSync() as Float32Array };
      });
      await tf.setBackend('wasm');
      const input = tf.tensor(values, shape);
      const [outer, middle, inner] = shape;
      const info = swapOuterAndInner(tf.backend() as BackendWasm, input, outer, middle, inner);
      const swapped = tf.engine().makeTensorFromTensorInfo(info);
      assertClose({ shape: swapped.shape, values: swapped.dataSync() as Float32Array }, expected, 'swap');
      tf.dispose([input, swapped]);
    });
  }
});

describe('Add on wasm matches cpu', () => {
  const random = createRandom(41).next;
  const cases = [
    // A bias along the last axis, channels a multiple of four: WebAssembly SIMD, either order.
    { a: [64, 28, 28, 32], b: [32] },
    { a: [8], b: [3, 5, 8] },
    // Everything else: the stock kernel.
    { a: [3, 6], b: [6] },
    { a: [2, 3, 4], b: [2, 3, 4] },
    { a: [2, 1, 4], b: [3, 1] },
    { a: [64, 10], b: [10] },
  ];
  for (const c of cases) {
    test(`[${c.a}] + [${c.b}]`, async () => {
      await compareWithCpu(
        'Add',
        {
          a: { values: randomValues(c.a, random), shape: c.a },
          b: { values: randomValues(c.b, random), shape: c.b },
        },
        {},
        'sum',
      );
    });
  }
});

describe('Multiply, RealDiv and Sub on wasm match cpu', () => {
  const random = createRandom(43).next;
  // Small outputs: JavaScript with broadcasting; large ones: the stock kernels.
  const shapes = [
    { a: [64, 1], b: [64, 10] },
    { a: [64, 10], b: [1] },
    { a: [2, 1, 3], b: [4, 1] },
    { a: [64, 3136], b: [64, 3136] },
  ];
  for (const kernelName of ['Multiply', 'RealDiv', 'Sub']) {
    for (const c of shapes) {
      test(`${kernelName} [${c.a}], [${c.b}]`, async () => {
        const b = randomValues(c.b, random).map((value) => (Math.abs(value) < 0.1 ? 0.5 : value));
        await compareWithCpu(
          kernelName,
          { a: { values: randomValues(c.a, random), shape: c.a }, b: { values: b, shape: c.b } },
          {},
          kernelName,
        );
      });
    }
  }
});

describe('Relu on wasm matches cpu', () => {
  const random = createRandom(47).next;
  for (const shape of [
    [64, 14, 14, 64],
    [5, 7, 3],
  ]) {
    test(`[${shape}]`, async () => {
      await compareWithCpu('Relu', { x: { values: randomValues(shape, random), shape } }, {}, 'relu');
    });
  }
});

describe('MaxPool on wasm matches cpu', () => {
  const random = createRandom(53).next;
  const cases = [
    // 2×2, stride 2, no padding, channels a multiple of 4: WebAssembly SIMD (odd sizes drop the last row/column).
    { shape: [64, 28, 28, 32], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [2, 7, 5, 8], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [1, 6, 4, 4], filterSize: 2, strides: 2, pad: 'same' },
    // Otherwise the stock kernel.
    { shape: [2, 7, 5, 8], filterSize: 2, strides: 2, pad: 'same' },
    { shape: [2, 6, 6, 3], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [2, 6, 6, 4], filterSize: 3, strides: 1, pad: 'same' },
  ];
  for (const c of cases) {
    test(`[${c.shape}], ${c.filterSize}×${c.filterSize}, stride ${c.strides}, ${c.pad}`, async () => {
      await compareWithCpu(
        'MaxPool',
        { x: { values: randomValues(c.shape, random), shape: c.shape } },
        { filterSize: c.filterSize, strides: c.strides, pad: c.pad },
        'max pool',
      );
    });
  }
});

describe('Softmax on wasm matches cpu', () => {
  const random = createRandom(59).next;
  // Small logits: JavaScript on the calling thread; large ones: the stock kernel.
  for (const shape of [
    [64, 10],
    [3, 5, 7],
    [200, 100],
  ]) {
    test(`Softmax [${shape}]`, async () => {
      const values = randomValues(shape, random).map((value) => value * 20);
      await compareWithCpu('Softmax', { logits: { values, shape } }, { dim: shape.length - 1 }, 'softmax');
    });
  }
});
