import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evaluatePredictions } from '../src/metrics/index.js';
import { writeComparisonReport, writePredictionReport, writeReport } from '../src/report/index.js';
import { renderWarnings } from '../src/report/render.js';

describe('the report figures render without a library warning', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cnnx-report-warnings-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('predictions: the top classes keep their rank order, and vega-lite has nothing to say', async () => {
    const prepared = new Uint8Array(28 * 28).fill(40);
    await writePredictionReport(join(dir, 'predict'), [
      {
        name: 'seven.png',
        image: { pixels: new Uint8Array(40 * 30).fill(200), width: 40, height: 30, channels: 1 },
        prepared: { pixels: prepared, width: 28, height: 28 },
        top: [
          { label: 'seven', probability: 0.61 },
          { label: 'one', probability: 0.3 },
          { label: 'nine', probability: 0.09 },
        ],
      },
    ]);
    const svg = await readFile(join(dir, 'predict', 'predictions.svg'), 'utf8');
    const order = ['seven', 'one', 'nine'].map((label) => svg.indexOf(`>${label}<`));
    assert.ok(order.every((at) => at >= 0) && order[0]! < order[1]! && order[1]! < order[2]!, `${order}`);
    assert.deepEqual(renderWarnings(), []);
  });

  it('an evaluation report and a comparison report', async () => {
    const labels = Uint8Array.from({ length: 20 }, (_, index) => index % 2);
    const probabilities = Float32Array.from({ length: 40 }, (_, index) => (index % 3 === 0 ? 0.8 : 0.2));
    const metrics = evaluatePredictions(probabilities, labels, ['even', 'odd']);
    await writeReport(join(dir, 'evaluate'), {
      title: 'warnings',
      metrics,
      history: [
        {
          epoch: 1,
          loss: 0.7,
          accuracy: 0.5,
          valLoss: 0.6,
          valAccuracy: 0.6,
        },
        {
          epoch: 2,
          loss: 0.5,
          accuracy: 0.7,
          valLoss: 0.5,
          valAccuracy: 0.7,
        },
      ],
      labelCounts: [{ split: 'test', labels }],
    });
    const row = {
      kind: 'cnn' as const,
      parameters: 10,
      trainSeconds: 1,
      trainImagesPerSecond: 5,
      accuracy: 0.9,
      loss: 0.3,
    };
    await writeComparisonReport(join(dir, 'compare'), [
      { ...row, name: 'tiny', onnxBytes: 100, latencyMs: 0.1, imagesPerSecond: 1000 },
      {
        ...row,
        name: 'knn',
        kind: 'baseline',
        loss: null,
        onnxBytes: null,
        latencyMs: null,
        imagesPerSecond: null,
        trainImagesPerSecond: null,
      },
    ]);
    assert.deepEqual(renderWarnings(), []);
  });
});
