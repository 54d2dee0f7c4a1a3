/**
 * The smallest model that proves an execution provider runs: `y = Relu(x)` on a float32 [2] tensor (ONNX IR
 * 7, opset 13), written byte by byte so the runtime needs no exporter to check a provider.
 */

type Field = [field: number, value: number | string | Field[]];

function varint(value: number, out: number[]): void {
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/** Protobuf wire format for a list of fields: numbers as varints, strings and nested messages as bytes. */
function encode(fields: Field[], out: number[] = []): number[] {
  for (const [field, value] of fields) {
    if (typeof value === 'number') {
      varint(field << 3, out);
      varint(value, out);
      continue;
    }
    const body = typeof value === 'string' ? [...new TextEncoder().encode(value)] : encode(value);
    varint((field << 3) | 2, out);
    varint(body.length, out);
    out.push(...body);
  }
  return out;
}

/** ValueInfoProto of a float32 tensor of shape [2]. */
function floatPair(name: string): Field[] {
  const FLOAT = 1;
  return [
    [1, name],
    [
      2,
      [
        [
          1,
          [
            [1, FLOAT],
            [2, [[1, [[1, 2]]]]],
          ],
        ],
      ],
    ],
  ];
}

/** The probe model's input and output names, and what it returns for {@link PROBE_INPUT}. */
export const PROBE_INPUT = Float32Array.of(-1, 2);
export const PROBE_OUTPUT = Float32Array.of(0, 2);

/**
 * The probe model's bytes (about 70).
 *
 * @example
 * const session = await ort.InferenceSession.create(probeModel(), { executionProviders: ['cuda'] });
 * const { y } = await session.run({ x: new ort.Tensor('float32', PROBE_INPUT, [2]) }); // y.data → [0, 2]
 */
export function probeModel(): Uint8Array {
  const node: Field[] = [
    [1, 'x'],
    [2, 'y'],
    [4, 'Relu'],
  ];
  const graph: Field[] = [
    [1, node],
    [2, 'cnnx-probe'],
    [11, floatPair('x')],
    [12, floatPair('y')],
  ];
  const model: Field[] = [
    [1, 7],
    [2, 'cnnx'],
    [7, graph],
    [8, [[2, 13]]],
  ];
  return Uint8Array.from(encode(model));
}
