import { UnsupportedLayerError } from '../errors.js';
import type { LayerConverter } from './types.js';

/**
 * A table of layer converters keyed by tfjs class name. Registering a class twice throws; looking up an
 * unknown class throws {@link UnsupportedLayerError} listing the supported ones.
 *
 * @example
 * const registry = new ConverterRegistry();
 * registry.register('Dropout', (context) => context.inputs[0]!);
 * registry.get('LSTM'); // throws UnsupportedLayerError: layer class 'LSTM' is not supported ...; supported: Dropout
 */
export class ConverterRegistry {
  private readonly converters = new Map<string, LayerConverter>();

  register(className: string, converter: LayerConverter): void {
    if (this.converters.has(className)) {
      throw new Error(`a converter for layer class '${className}' is already registered`);
    }
    this.converters.set(className, converter);
  }

  get(className: string): LayerConverter {
    const converter = this.converters.get(className);
    if (!converter) {
      throw new UnsupportedLayerError({
        className,
        refusedBy: 'the ONNX exporter',
        supported: this.supported(),
      });
    }
    return converter;
  }

  has(className: string): boolean {
    return this.converters.has(className);
  }

  /** The supported class names, sorted. */
  supported(): string[] {
    return [...this.converters.keys()].sort();
  }
}
