/**
 * Tiny ONNX models written byte by byte for the runtime's tests, so they do not depend on the exporter.
 *
 * The "band" classifier: image → Reshape [batch, features] → MatMul → Add → Softmax. Class k's logit is the
 * mean brightness of horizontal band k of the image (channel `k % channels` when there are several), so a
 * test can draw an image of a known class and check that layout and scaling reach the model intact.
 */

type Bytes = number[];

function varint(value: number | bigint, out: Bytes): void {
  let v = BigInt.asUintN(64, BigInt(value));
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

function key(field: number, wireType: number, out: Bytes): void {
  varint((field << 3) | wireType, out);
}

function int(field: number, value: number, out: Bytes): void {
  key(field, 0, out);
  varint(value, out);
}

function bytes(field: number, data: ArrayLike<number>, out: Bytes): void {
  key(field, 2, out);
  varint(data.length, out);
  for (let i = 0; i < data.length; i++) out.push(data[i] as number);
}

function text(field: number, value: string, out: Bytes): void {
  bytes(field, new TextEncoder().encode(value), out);
}

function message(field: number, build: (out: Bytes) => void, out: Bytes): void {
  const inner: Bytes = [];
  build(inner);
  bytes(field, inner, out);
}

function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array, out: Bytes): void {
  for (const d of dims) int(1, d, out);
  int(2, data instanceof Float32Array ? 1 : 7, out);
  text(8, name, out);
  bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), out);
}

function valueInfo(name: string, dims: (number | string)[], out: Bytes): void {
  text(1, name, out);
  message(
    2,
    (type) =>
      message(
        1,
        (tensorType) => {
          int(1, 1, tensorType);
          message(
            2,
            (shape) => {
              for (const d of dims) {
                message(1, (dim) => (typeof d === 'string' ? text(2, d, dim) : int(1, d, dim)), shape);
              }
            },
            tensorType,
          );
        },
        type,
      ),
    out,
  );
}

function node(inputs: string[], outputs: string[], opType: string, out: Bytes): void {
  for (const i of inputs) text(1, i, out);
  for (const o of outputs) text(2, o, out);
  text(3, `${opType.toLowerCase()}_${outputs[0]}`, out);
  text(4, opType, out);
}

export interface BandModelOptions {
  layout?: 'nhwc' | 'nchw';
  height?: number;
  width?: number;
  channels?: number;
  classes?: number;
  /** cnnx metadata_props to write; none for a "foreign" model. */
  metadata?: Record<string, string>;
  inputName?: string;
  outputName?: string;
  /** Leave out the final Softmax, as PyTorch models often do. */
  logits?: boolean;
  opset?: number;
  /** Name the final op `NoSuchOp`, which no onnxruntime provider knows. */
  unknownOp?: boolean;
  /** Put a NaN into the weights at this index (what a diverged training leaves behind). */
  nanWeightAt?: number;
}

/** Which feature index (in the model's input layout) a pixel lands on. */
function featureIndex(
  layout: 'nhwc' | 'nchw',
  h: number,
  w: number,
  c: number,
  height: number,
  width: number,
  channels: number,
): number {
  return layout === 'nhwc' ? (h * width + w) * channels + c : (c * height + h) * width + w;
}

/** The band (and so the class) that row `h`, channel `c` votes for. */
export function bandOf(h: number, height: number, classes: number): number {
  return Math.min(classes - 1, Math.floor((h * classes) / height));
}

/**
 * Builds the band classifier as ONNX bytes.
 *
 * @example
 * const bytes = buildBandModel({ metadata: { 'cnnx.class_names': JSON.stringify(names) } });
 */
export function buildBandModel(options: BandModelOptions = {}): Uint8Array {
  const {
    layout = 'nhwc',
    height = 28,
    width = 28,
    channels = 1,
    classes = 10,
    metadata = {},
    inputName = 'image',
    outputName = 'probabilities',
    logits = false,
    opset = 17,
    unknownOp = false,
    nanWeightAt,
  } = options;
  const features = height * width * channels;
  const weights = new Float32Array(features * classes);
  const bandCounts = new Array<number>(classes).fill(0);
  for (let h = 0; h < height; h++) bandCounts[bandOf(h, height, classes)]! += width;
  for (let h = 0; h < height; h++) {
    const band = bandOf(h, height, classes);
    for (let w = 0; w < width; w++) {
      for (let c = 0; c < channels; c++) {
        if (channels > 1 && c !== band % channels) continue;
        weights[featureIndex(layout, h, w, c, height, width, channels) * classes + band] =
          8 / bandCounts[band]!;
      }
    }
  }
  if (nanWeightAt !== undefined) weights[nanWeightAt] = Number.NaN;
  const bias = new Float32Array(classes).map((_, k) => -0.01 * k);
  const inputDims =
    layout === 'nhwc' ? ['batch', height, width, channels] : ['batch', channels, height, width];

  const model: Bytes = [];
  int(1, 8, model); // ir_version
  text(2, 'cnnx-runtime-test', model);
  message(
    7,
    (graph) => {
      message(1, (n) => node([inputName, 'flat_shape'], ['flat'], 'Reshape', n), graph);
      message(1, (n) => node(['flat', 'weights'], ['scores'], 'MatMul', n), graph);
      if (logits) {
        message(1, (n) => node(['scores', 'bias'], [outputName], 'Add', n), graph);
      } else {
        message(1, (n) => node(['scores', 'bias'], ['logits'], 'Add', n), graph);
        message(1, (n) => node(['logits'], [outputName], unknownOp ? 'NoSuchOp' : 'Softmax', n), graph);
      }
      text(2, 'band', graph);
      message(5, (t) => tensor('flat_shape', [2], new BigInt64Array([-1n, BigInt(features)]), t), graph);
      message(5, (t) => tensor('weights', [features, classes], weights, t), graph);
      message(5, (t) => tensor('bias', [classes], bias, t), graph);
      message(11, (v) => valueInfo(inputName, inputDims, v), graph);
      message(12, (v) => valueInfo(outputName, ['batch', classes], v), graph);
    },
    model,
  );
  message(
    8,
    (o) => {
      text(1, '', o);
      int(2, opset, o);
    },
    model,
  );
  for (const [k, v] of Object.entries(metadata)) {
    message(
      14,
      (entry) => {
        text(1, k, entry);
        text(2, v, entry);
      },
      model,
    );
  }
  return new Uint8Array(model);
}

/**
 * Draws an image (height × width × channels, 0-255) whose brightest band is the one of class `label`.
 *
 * @example
 * const pixels = drawBand(3); // 28×28 gray image of "class 3"
 */
export function drawBand(
  label: number,
  options: { height?: number; width?: number; channels?: number; classes?: number } = {},
): Uint8Array {
  const { height = 28, width = 28, channels = 1, classes = 10 } = options;
  const pixels = new Uint8Array(height * width * channels);
  for (let h = 0; h < height; h++) {
    for (let w = 0; w < width; w++) {
      for (let c = 0; c < channels; c++) {
        const lit = bandOf(h, height, classes) === label && (channels === 1 || c === label % channels);
        pixels[(h * width + w) * channels + c] = lit ? 250 : 10;
      }
    }
  }
  return pixels;
}
