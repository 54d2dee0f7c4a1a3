export {
  BASELINE_NAMES,
  BASELINES,
  type BaselineInfo,
  type BaselineName,
  type BaselineOptions,
  type BaselineProgress,
  type BaselineResult,
  parseBaselineNames,
  trainBaseline,
} from './baselines.js';
export { fitRandomForest, type RandomForest, type RandomForestOptions } from './random-forest.js';
export { stratifiedSample } from './sample.js';
export {
  describeSvcEstimate,
  estimateSvc,
  SVC_ESTIMATE_ABOVE,
  SVC_PROBE_IMAGES,
  type SvcEstimate,
  type SvcResult,
  svcGamma,
  trainSvc,
} from './svc.js';
