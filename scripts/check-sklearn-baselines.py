#!/usr/bin/python3
"""Compares cnnx's classical baselines with scikit-learn's on the same split of real digits.

Run with Debian's Python (which carries python3-sklearn), from the repository root:

    /usr/bin/python3 scripts/check-sklearn-baselines.py [--baselines svc,knn] [--limit 4000] [--seed 42]

cnnx loads mnist-sample's train and test split exactly as `cnnx compare` does (seeded, stratified), trains
each baseline with `trainBaseline` from packages/train (through tsx) and hands the same images and labels to
scikit-learn, scaled to [0, 1] as the notebook scales them, with the notebook's estimators:
LogisticRegression(max_iter=1000), SVC(), RandomForestClassifier(n_estimators=100) and
KNeighborsClassifier(n_neighbors=3). It prints both test accuracies, their difference in points, how often
the two predict the same class, and both times, and exits 1 when a difference is over its tolerance: SVC 0.5 point, random forest 1, k-NN 0.2,
logistic regression 1.

The two run one after the other on the same machine, so the times compare (on a shared machine they are
rough). `--limit N` trains both on the same stratified sample of about N images, for a quick run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

TOLERANCE_POINTS = {'logistic-regression': 1.0, 'svc': 0.5, 'random-forest': 1.0, 'knn': 0.2}

DRIVER = """
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from './packages/data/src/index.ts';
import { initBackend, stratifiedSample, trainBaseline } from './packages/train/src/index.ts';
const [folder, names, seed, limit] = process.argv.slice(-4);
let train = await loadDataset('mnist-sample', { split: 'train', seed: Number(seed) });
const test = await loadDataset('mnist-sample', { split: 'test', seed: Number(seed) });
if (Number(limit) > 0) train = stratifiedSample(train, Number(limit), Number(seed));
for (const [name, set] of [['train', train], ['test', test]]) {
  writeFileSync(join(folder, `${name}-images.u8`), set.images);
  writeFileSync(join(folder, `${name}-labels.u8`), set.labels);
}
const backend = await initBackend('auto');
const results = {};
for (const name of names.split(',')) {
  const result = await trainBaseline(name, train, test, { seed: Number(seed), epochs: 5 });
  results[name] = { accuracy: result.accuracy, trainSeconds: result.trainSeconds,
    predictSeconds: result.predictSeconds, note: result.note ?? '' };
  writeFileSync(join(folder, `${name}-predicted.u8`), result.predicted);
  process.stderr.write(`cnnx ${name}: ${result.accuracy.toFixed(4)} in ${(result.trainSeconds + result.predictSeconds).toFixed(1)} s\\n`);
}
process.stdout.write(JSON.stringify({ backend: backend.name, trainImages: train.count, testImages: test.count, results }));
"""


def estimator(name, seed):
    """The notebook's estimator for a cnnx baseline name."""
    if name == 'logistic-regression':
        return LogisticRegression(max_iter=1000)
    if name == 'svc':
        return SVC()
    if name == 'random-forest':
        return RandomForestClassifier(n_estimators=100, random_state=seed)
    if name == 'knn':
        return KNeighborsClassifier(n_neighbors=3)
    raise ValueError(name)


def read(folder, name, features=784):
    images = np.fromfile(os.path.join(folder, f'{name}-images.u8'), dtype=np.uint8)
    labels = np.fromfile(os.path.join(folder, f'{name}-labels.u8'), dtype=np.uint8)
    return images.reshape(len(labels), features).astype(np.float64) / 255.0, labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--baselines', default='logistic-regression,svc,random-forest,knn')
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--limit', type=int, default=0, help='train on a stratified sample of about N images')
    parser.add_argument('--json', action='store_true', help='print the figures as one JSON document')
    options = parser.parse_args()
    names = [name.strip() for name in options.baselines.split(',') if name.strip()]
    unknown = [name for name in names if name not in TOLERANCE_POINTS]
    if not names or unknown:
        print(f'check-sklearn-baselines: unknown baseline {", ".join(unknown) or "(none)"}; expected a '
              f'comma-separated list of {", ".join(TOLERANCE_POINTS)}', file=sys.stderr)
        sys.exit(2)

    with tempfile.TemporaryDirectory() as folder:
        output = subprocess.run(
            ['node', '--import', 'tsx', '--input-type=module', '-e', DRIVER, folder, ','.join(names),
             str(options.seed), str(options.limit)],
            check=True, stdout=subprocess.PIPE, text=True)
        ours = json.loads(output.stdout)
        train_images, train_labels = read(folder, 'train')
        test_images, test_labels = read(folder, 'test')
        our_predictions = {name: np.fromfile(os.path.join(folder, f'{name}-predicted.u8'), dtype=np.uint8)
                           for name in names}

    rows = []
    for name in names:
        model = estimator(name, options.seed)
        started = time.perf_counter()
        model.fit(train_images, train_labels)
        trained = time.perf_counter()
        predictions = model.predict(test_images)
        predicted = time.perf_counter()
        accuracy = float((predictions == test_labels).mean())
        print(f'scikit-learn {name}: {accuracy:.4f} in {predicted - started:.1f} s', file=sys.stderr)
        mine = ours['results'][name]
        difference = 100 * (mine['accuracy'] - accuracy)
        rows.append({
            'baseline': name,
            'sklearn': repr(model).replace('\n', ''),
            'cnnxAccuracy': mine['accuracy'],
            'sklearnAccuracy': accuracy,
            'differencePoints': difference,
            'tolerancePoints': TOLERANCE_POINTS[name],
            'within': abs(difference) <= TOLERANCE_POINTS[name],
            'agreement': float((our_predictions[name] == predictions).mean()),
            'cnnxSeconds': {'train': mine['trainSeconds'], 'predict': mine['predictSeconds']},
            'sklearnSeconds': {'train': trained - started, 'predict': predicted - trained},
        })

    if options.json:
        print(json.dumps({'sklearn': sklearn.__version__, 'backend': ours['backend'],
                          'trainImages': ours['trainImages'], 'testImages': ours['testImages'], 'rows': rows},
                         indent=2))
    else:
        print(f'mnist-sample, seed {options.seed}: {ours["trainImages"]} training and {ours["testImages"]} test '
              f'images; scikit-learn {sklearn.__version__}, cnnx on {ours["backend"]}')
        print(f'{"baseline":<20} {"scikit-learn":<41} {"cnnx":>7} {"sklearn":>7} {"Δ pts":>6} {"tol":>4} '
              f'{"agree":>6}  {"cnnx train+predict s":>20} {"sklearn train+predict s":>23}')
        for row in rows:
            ours_time = f'{row["cnnxSeconds"]["train"]:.1f} + {row["cnnxSeconds"]["predict"]:.1f}'
            their_time = f'{row["sklearnSeconds"]["train"]:.1f} + {row["sklearnSeconds"]["predict"]:.1f}'
            print(f'{row["baseline"]:<20} {row["sklearn"]:<41} {row["cnnxAccuracy"]:>7.4f} '
                  f'{row["sklearnAccuracy"]:>7.4f} {row["differencePoints"]:>+6.2f} {row["tolerancePoints"]:>4.1f} '
                  f'{row["agreement"]:>6.1%}  '
                  f'{ours_time:>20} {their_time:>23}{"" if row["within"] else "  OVER"}')
    sys.exit(0 if all(row['within'] for row in rows) else 1)


if __name__ == '__main__':
    main()
