// The training-engine registry: what `auto` and a named backend resolve to, with a real tfjs model and an
// engine registered by the test (the onnxruntime one lives in @cnnx/runtime; test/training-engines.test.ts
// drives it through `cnnx train`).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { UnsupportedLayerError } from '@cnnx/data';
import {
  buildModel,
  type EngineSettings,
  engineSettingsOf,
  initBackend,
  registerTrainingEngine,
  resolveTrainingEngine,
  type TrainingEngine,
  trainingEngineNames,
} from '../src/index.js';

const settings: EngineSettings = engineSettingsOf({});

/** An engine that trains only models without a Dropout layer. */
const picky: TrainingEngine = {
  name: 'picky',
  preferred: true,
  covers: (model) => {
    const dropout = model.layers.find((layer) => layer.getClassName() === 'Dropout');
    return dropout
      ? { layer: dropout.name, className: 'Dropout', reason: 'no masks here', supported: ['Conv2D', 'Dense'] }
      : null;
  },
  open: () => Promise.reject(new Error('not opened in this test')),
};

before(async () => {
  await initBackend('cpu');
  registerTrainingEngine(picky);
});

describe('resolveTrainingEngine', () => {
  const options = { inputShape: [28, 28, 1] as [number, number, number], numClasses: 10, seed: 1 };

  test('the tfjs backends are registered engines, and a name registers once', () => {
    assert.deepEqual(trainingEngineNames().slice(0, 3), ['tensorflow', 'wasm', 'cpu']);
    assert.throws(() => registerTrainingEngine(picky), /already registered/);
  });

  test('auto takes a preferred engine that covers the model', () => {
    const { engine, skipped } = resolveTrainingEngine(
      'auto',
      buildModel('classic', options),
      settings,
      'cpu',
    );
    assert.equal(engine.name, 'picky');
    assert.deepEqual(skipped, []);
  });

  test("auto falls back to tfjs's backend and says which layer stopped the preferred one", () => {
    const model = buildModel('dropout', options);
    const dropout = model.layers.find((layer) => layer.getClassName() === 'Dropout')!;
    const { engine, skipped } = resolveTrainingEngine('auto', model, settings, 'cpu');
    assert.equal(engine.name, 'cpu');
    assert.deepEqual(skipped, [
      { name: 'picky', reason: `layer '${dropout.name}' (Dropout): no masks here` },
    ]);
  });

  test('a named engine that cannot train a layer throws UnsupportedLayerError naming it', () => {
    const model = buildModel('dropout', options);
    assert.throws(
      () => resolveTrainingEngine('picky', model, settings, 'cpu'),
      (error: unknown) =>
        error instanceof UnsupportedLayerError &&
        /^layer '.*' \(Dropout\) is not supported by the picky training engine \(no masks here\); supported: Conv2D, Dense$/.test(
          error.message,
        ),
    );
    assert.throws(
      () => resolveTrainingEngine('nope', model, settings, 'cpu'),
      /no training engine named 'nope'/,
    );
  });
});
