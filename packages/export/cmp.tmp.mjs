import { readFileSync } from 'node:fs';
import { loadDataset, toFloat32 } from '@cnnx/data';
import { exportToOnnx, loadLayersModelFromDir } from '@cnnx/export';
import * as ort from 'onnxruntime-node';

const d = await loadDataset('mnist-sample', { split: 'test' });
const x = toFloat32(d.images);
const train = await loadDataset('mnist-sample', { split: 'train' });
const calib = toFloat32(train.images.subarray(0, 784 * 512));
const model = await loadLayersModelFromDir('/tmp/cnnx-export-qs/model');
const files = {
  fp32: await exportToOnnx(model),
  fp16: await exportToOnnx(model, { quantize: 'fp16' }),
  int8mm: await exportToOnnx(model, { quantize: 'int8', calibration: calib }),
  int8pc: await exportToOnnx(model, {
    quantize: 'int8',
    calibration: calib,
    calibrationMethod: 'percentile',
  }),
};
const preds = {};
for (const [k, bytes] of Object.entries(files)) {
  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run({ input: new ort.Tensor('float32', x, [d.count, 28, 28, 1]) });
  const p = r.output.data;
  const out = [];
  for (let i = 0; i < d.count; i++) {
    let b = 0;
    for (let c = 1; c < 10; c++) if (p[i * 10 + c] > p[i * 10 + b]) b = c;
    out.push(b);
  }
  preds[k] = out;
  const acc = out.filter((b, i) => b === d.labels[i]).length / d.count;
  const agree = out.filter((b, i) => b === preds.fp32[i]).length / d.count;
  console.log(
    k,
    'bytes',
    bytes.byteLength,
    'accuracy',
    acc.toFixed(4),
    'agreement with fp32',
    agree.toFixed(4),
  );
}
