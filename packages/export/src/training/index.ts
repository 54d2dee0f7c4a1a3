export { isTrainableActivation, TRAINABLE_ACTIVATIONS } from './activations.js';
export { buildTrainingGraph, TRAINING_OPSET } from './build-training-graph.js';
export { dropoutTrainer } from './layers/dropout.js';
export { createTrainerRegistry, trainerConfigs } from './layers/index.js';
export type { LayerStep, LayerTrainingContext, TrainerConfig, TrainValue } from './layers/types.js';
export { loopTrainingGraph } from './loop.js';
export {
  type OptimizerWeights,
  optimizerWeightsFromState,
  readTrainingState,
  stateFromOptimizerWeights,
  type TrainingStateValues,
  writeTrainedWeights,
} from './model-state.js';
export { nchwcProbeModel } from './nchwc.js';
export { TRAINING_ENGINE, TrainerRegistry } from './registry.js';
export { assertTrainable, checkTrainable } from './trainability.js';
export type * from './types.js';
