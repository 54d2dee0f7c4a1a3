import { UnsupportedLayerError } from '../errors.js';
import type { TrainerConfig } from './layers/types.js';

/** What {@link UnsupportedLayerError} says cannot take a layer it does not know. */
export const TRAINING_ENGINE = 'the onnxruntime training engine';

/**
 * The layers the training-graph builder can train, keyed by tfjs class name, one entry per file as the
 * exporter's converters. Registering a class twice throws; an unknown class throws
 * {@link UnsupportedLayerError} listing the trainable ones.
 *
 * @example
 * const registry = new TrainerRegistry();
 * registry.register(denseTrainer);
 * registry.get('LSTM'); // throws UnsupportedLayerError: layer class 'LSTM' is not supported by the onnxruntime training engine; supported: Dense
 */
export class TrainerRegistry {
  private readonly trainers = new Map<string, TrainerConfig>();

  register(config: TrainerConfig): void {
    if (this.trainers.has(config.className)) {
      throw new Error(`a trainer for layer class '${config.className}' is already registered`);
    }
    this.trainers.set(config.className, config);
  }

  get(className: string): TrainerConfig {
    const trainer = this.trainers.get(className);
    if (!trainer) {
      throw new UnsupportedLayerError({ className, refusedBy: TRAINING_ENGINE, supported: this.supported() });
    }
    return trainer;
  }

  has(className: string): boolean {
    return this.trainers.has(className);
  }

  /** The trainable class names, sorted. */
  supported(): string[] {
    return [...this.trainers.keys()].sort();
  }
}
