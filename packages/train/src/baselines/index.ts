export {
  BASELINE_NAMES,
  type BaselineName,
  type BaselineOptions,
  type BaselineResult,
  trainBaseline,
} from './baselines.js';
