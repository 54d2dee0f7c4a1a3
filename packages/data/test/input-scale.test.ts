import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { affineOf, formatInputScale, inputScaleOf, parseInputScale, scaleTable } from '../src/index.js';

describe('the input scale vocabulary', () => {
  test('the text form parses and formats back to itself', () => {
    for (const text of ['unit', 'none', 'standard:0.1307:0.3081', 'standard:-1:2']) {
      assert.equal(formatInputScale(parseInputScale(text)), text);
    }
    assert.deepEqual(parseInputScale('standard:0.5:0.25'), { kind: 'standard', mean: 0.5, std: 0.25 });
  });

  test('a bad text names where it came from and what was expected', () => {
    for (const text of ['percent', 'standard:0:0', 'standard:1', 'standard:a:1', '']) {
      assert.throws(
        () => parseInputScale(text, '--input-scale'),
        (error: unknown) =>
          error instanceof RangeError &&
          error.message ===
            `--input-scale must be unit, none or standard:MEAN:STD with STD > 0, got '${text}'`,
      );
    }
  });

  test("every form (text, structured, toFloat32's shorthand) reads as the same scale", () => {
    const standard = { kind: 'standard', mean: 0.5, std: 0.5 };
    assert.deepEqual(inputScaleOf('standard:0.5:0.5'), standard);
    assert.deepEqual(inputScaleOf({ mean: 0.5, std: 0.5 }), standard);
    assert.deepEqual(inputScaleOf(standard), standard);
    assert.deepEqual(inputScaleOf({ kind: 'none' }), { kind: 'none' });
    assert.throws(() => inputScaleOf({ mean: 0.5, std: 0 }), /'scale' must be unit/);
    assert.throws(() => inputScaleOf(7), /got 7/);
  });

  test("the affine arithmetic agrees with toFloat32's table on every byte", () => {
    for (const scale of [
      { kind: 'unit' },
      { kind: 'none' },
      { kind: 'standard', mean: 0.1307, std: 0.3081 },
    ] as const) {
      const { multiplier, offset } = affineOf(scale);
      const table = scaleTable(scale);
      for (let value = 0; value < 256; value++) {
        assert.ok(Math.abs(value * multiplier + offset - table[value]!) < 1e-5, `${scale.kind} ${value}`);
      }
    }
  });
});
