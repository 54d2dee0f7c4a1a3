import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { affineOf } from '@cnnx/data';
import { readModelMetadata } from '../src/core/model-metadata.js';
import { writeImages } from '../src/core/pixels.js';

describe('writeImages (pure)', () => {
  test('byte pixels at any alignment and length scale exactly like the one-value-at-a-time formula', () => {
    const backing = new Uint8Array(4096 + 16);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 73 + 11) % 256;
    const shape = { height: 1, width: 1, channels: 1 };
    for (const scale of [{ kind: 'unit' }, { kind: 'standard', mean: 0.1307, std: 0.3081 }] as const) {
      const { multiplier, offset } = affineOf(scale);
      for (const byteOffset of [0, 1, 2, 3, 5]) {
        const bytes = backing.subarray(byteOffset);
        for (const sourceStart of [0, 1, 3, 6]) {
          for (const count of [1, 63, 64, 65, 1000, 4001]) {
            const target = new Float32Array(count + 2).fill(-7);
            writeImages(
              bytes,
              sourceStart,
              1,
              target,
              1,
              count,
              shape,
              'nhwc',
              { multiplier, offset },
              'pixels',
            );
            assert.equal(target[0], -7, 'nothing written before targetStart');
            assert.equal(target[count + 1], -7, 'nothing written after the last value');
            for (let i = 0; i < count; i++) {
              const expected = Math.fround(bytes[sourceStart + i]! * multiplier + offset);
              assert.equal(
                target[1 + i],
                expected,
                `offset ${byteOffset}, start ${sourceStart}, count ${count}, value ${i}`,
              );
            }
          }
        }
      }
    }
  });

  test('unit scaling agrees with ÷255 to float32 precision', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, v) => v);
    const target = new Float32Array(256);
    writeImages(
      bytes,
      0,
      1,
      target,
      0,
      1,
      { height: 16, width: 16, channels: 1 },
      'nhwc',
      affineOf({ kind: 'unit' }),
      'p',
    );
    for (let v = 0; v < 256; v++) assert.ok(Math.abs(target[v]! - v / 255) < 1e-7);
  });

  test('float pixels outside 0-255 or NaN are refused with the pixel named', () => {
    const pixels = new Float32Array(4).fill(1);
    pixels[2] = 300;
    const target = new Float32Array(4);
    assert.throws(
      () =>
        writeImages(
          pixels,
          0,
          1,
          target,
          0,
          1,
          { height: 2, width: 2, channels: 1 },
          'nhwc',
          affineOf({ kind: 'none' }),
          'image 3',
        ),
      /image 3: pixel 2 is 300; pixels must be numbers from 0 to 255/,
    );
  });
});

describe('readModelMetadata (metadata and defaults)', () => {
  const output = { name: 'probabilities', type: 'float32', shape: ['batch', 10] };
  test('a foreign NCHW input (dim 1 is 1 or 3) defaults to nchw, classes 0..n-1, unit', () => {
    const reading = readModelMetadata(
      [{ name: 'x', type: 'float32', shape: ['N', 3, 32, 32] }],
      [output],
      {},
      {},
    );
    assert.equal(reading.layout, 'nchw');
    assert.deepEqual(reading.image, { height: 32, width: 32, channels: 3 });
    assert.deepEqual(reading.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.deepEqual(reading.scale, { kind: 'unit' });
  });
  test('an NHWC input without metadata stays nhwc; options override metadata', () => {
    const input = { name: 'x', type: 'float32', shape: ['N', 28, 28, 1] };
    assert.equal(readModelMetadata([input], [output], {}, {}).layout, 'nhwc');
    const reading = readModelMetadata(
      [input],
      [output],
      { 'cnnx.input_scale': 'none' },
      { inputScale: 'standard:0.5:0.5' },
    );
    assert.deepEqual(reading.scale, { kind: 'standard', mean: 0.5, std: 0.5 });
    assert.equal(reading.sources.scale, 'option');
  });
  test('bad metadata is named with its value', () => {
    const input = { name: 'x', type: 'float32', shape: ['N', 28, 28, 1] };
    assert.throws(
      () => readModelMetadata([input], [output], { 'cnnx.input_layout': 'hwc' }, {}),
      /cnnx.input_layout must be nhwc or nchw, got 'hwc'/,
    );
    assert.throws(
      () => readModelMetadata([input], [output], { 'cnnx.input_scale': 'standard:0:0' }, {}),
      /STD > 0, got 'standard:0:0'/,
    );
    assert.throws(
      () => readModelMetadata([input], [output], { 'cnnx.class_names': '["a","b"]' }, {}),
      /has 10 classes but metadata cnnx.class_names lists 2/,
    );
    assert.throws(
      () => readModelMetadata([input], [output], { 'cnnx.class_names': '{' }, {}),
      /JSON array of strings/,
    );
  });
});
