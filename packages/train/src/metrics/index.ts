export { argmaxRows, confusionMatrix } from './confusion-matrix.js';
export { evaluatePredictions, topKAccuracy } from './evaluate.js';
export { formatClassificationReport, formatFixed } from './format.js';
export { FLOAT32_EPSILON, logLoss } from './log-loss.js';
export type { AverageMetrics, ClassMetrics, EvaluationMetrics } from './types.js';
