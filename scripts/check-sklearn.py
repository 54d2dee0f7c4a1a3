#!/usr/bin/python3
"""Compares cnnx's metrics with scikit-learn's on random predictions.

Run with Debian's Python (which carries python3-sklearn), from the repository root:

    /usr/bin/python3 scripts/check-sklearn.py [--cases 20] [--count 2000]

For each case it draws float32 probabilities (some rows peaked, some with exact zeros, some classes
never predicted or never true), scores them with `evaluatePredictions` from packages/train/src/metrics
(through tsx), and with scikit-learn's log_loss (eps = float32 eps), accuracy_score,
top_k_accuracy_score(k=3), confusion_matrix and classification_report(digits=6, output_dict),
and prints the largest absolute difference. Exit 1 when it exceeds 1e-6.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix, log_loss,
                             top_k_accuracy_score)

DRIVER = """
import { readFileSync } from 'node:fs';
import { evaluatePredictions, formatClassificationReport } from './packages/train/src/metrics/index.ts';
const [probabilitiesPath, labelsPath, classes] = process.argv.slice(-3);
const raw = readFileSync(probabilitiesPath);
const probabilities = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const labels = new Uint8Array(readFileSync(labelsPath));
const classNames = Array.from({ length: Number(classes) }, (_, index) => `class ${index}`);
const metrics = evaluatePredictions(probabilities, labels, classNames);
process.stdout.write(JSON.stringify({ metrics, report: formatClassificationReport(metrics, 6) }));
"""


def random_case(rng, count, classes):
    logits = rng.normal(size=(count, classes)) * rng.uniform(0.5, 6)
    # A class that is never predicted and one that never appears as truth.
    logits[:, classes - 1] -= 50
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    probabilities = probabilities.astype(np.float32)
    probabilities[rng.random(count) < 0.05, 0] = 0  # exact zeros: the clip decides the loss
    labels = rng.integers(0, classes - 1, size=count).astype(np.uint8)
    agree = rng.random(count) < 0.6  # make the predictions better than chance
    labels[agree] = probabilities[agree].argmax(axis=1)
    labels[labels == classes - 2] = 0  # class classes-2 has no support
    return probabilities, labels


def ours(probabilities, labels, classes):
    with tempfile.TemporaryDirectory() as folder:
        probabilities_path = os.path.join(folder, 'p.f32')
        labels_path = os.path.join(folder, 'l.u8')
        probabilities.tofile(probabilities_path)
        labels.tofile(labels_path)
        output = subprocess.run(
            ['node', '--import', 'tsx', '--input-type=module', '-e', DRIVER, probabilities_path, labels_path,
             str(classes)],
            check=True, capture_output=True, text=True)
    return json.loads(output.stdout)


def theirs(probabilities, labels, classes):
    names = [f'class {index}' for index in range(classes)]
    predicted = probabilities.argmax(axis=1)
    every = list(range(classes))
    try:
        loss = log_loss(labels, probabilities, labels=every, eps=np.finfo(np.float32).eps)
    except TypeError:  # scikit-learn ≥ 1.5 has no eps argument: it uses the dtype's eps itself
        loss = log_loss(labels, probabilities, labels=every)
    report = classification_report(labels, predicted, labels=every, target_names=names, digits=6,
                                   output_dict=True, zero_division=0)
    text = classification_report(labels, predicted, labels=every, target_names=names, digits=6,
                                 zero_division=0)
    return {
        'loss': loss,
        'accuracy': accuracy_score(labels, predicted),
        'top3Accuracy': top_k_accuracy_score(labels, probabilities, k=3, labels=every),
        'confusionMatrix': confusion_matrix(labels, predicted, labels=every).tolist(),
        'report': report,
        'text': text,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cases', type=int, default=20)
    parser.add_argument('--count', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=0)
    options = parser.parse_args()
    rng = np.random.default_rng(options.seed)
    worst = 0.0
    reports_equal = 0
    for case in range(options.cases):
        classes = int(rng.integers(4, 12))
        probabilities, labels = random_case(rng, options.count, classes)
        mine = ours(probabilities, labels, classes)
        metrics = mine['metrics']
        reference = theirs(probabilities, labels, classes)
        differences = [
            abs(metrics['loss'] - reference['loss']),
            abs(metrics['accuracy'] - reference['accuracy']),
            abs(metrics['top3Accuracy'] - reference['top3Accuracy']),
        ]
        if metrics['confusionMatrix'] != reference['confusionMatrix']:
            print(f'case {case}: confusion matrices differ', file=sys.stderr)
            differences.append(float('inf'))
        for index, entry in enumerate(metrics['perClass']):
            row = reference['report'][f'class {index}']
            differences += [abs(entry['precision'] - row['precision']), abs(entry['recall'] - row['recall']),
                            abs(entry['f1'] - row['f1-score']), abs(entry['support'] - row['support'])]
        for ours_key, their_key in (('macroAvg', 'macro avg'), ('weightedAvg', 'weighted avg')):
            differences += [abs(metrics[ours_key][name] - reference['report'][their_key][key])
                            for name, key in (('precision', 'precision'), ('recall', 'recall'), ('f1', 'f1-score'))]
        reports_equal += mine['report'] == reference['text']
        worst = max(worst, max(differences))
    print(f'scikit-learn {sklearn.__version__}: {options.cases} cases of {options.count} predictions, '
          f'largest difference {worst:.3g}, printed reports identical in {reports_equal}/{options.cases}')
    sys.exit(0 if worst <= 1e-6 and reports_equal == options.cases else 1)


if __name__ == '__main__':
    main()
