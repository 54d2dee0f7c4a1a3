import type { EvaluationMetrics } from '../metrics/types.js';

/** One epoch of training history, as `trainModel` records it (validation figures optional). */
export interface HistoryEpoch {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
}

/** The scored images: pixels n × height × width × channels (0-255), true labels and predicted probabilities. */
export interface ReportSamples {
  images: Uint8Array;
  shape: readonly [height: number, width: number, channels: number];
  labels: Uint8Array;
  /** n × classes, in the order of `metrics.perClass`. */
  probabilities: Float32Array;
}

/** What {@link writeReport} draws. Only `metrics` is required; figures without their data are left out. */
export interface ReportInput {
  /** The page title (default "cnnx evaluation report"). */
  title?: string;
  metrics: EvaluationMetrics;
  /** Loss and accuracy per epoch, for the training curves. */
  history?: readonly HistoryEpoch[];
  /** The scored images, for the "Pred / True" grid and the most confident mistakes. */
  samples?: ReportSamples;
  /** Labels per split for the label distribution (default: the scored labels' support). */
  labelCounts?: readonly { split: string; labels: Uint8Array }[];
  /** Extra facts shown as a table at the top (model, dataset, backend, seconds…). */
  details?: Record<string, string | number>;
  /** How many test images the grid shows (default 32) and how many mistakes (default 16). */
  gridSize?: number;
  mistakes?: number;
}

/** One figure of a report: its heading and the files written for it. */
export interface ReportFigure {
  name: string;
  title: string;
  svg: string;
  png: string;
}

/** What {@link writeReport} wrote, as paths relative to the report folder. */
export interface WrittenReport {
  html: string;
  figures: ReportFigure[];
  /** Every file written (relative paths), `report.html` included. */
  files: string[];
}
