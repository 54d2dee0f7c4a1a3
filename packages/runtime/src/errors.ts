/** Errors a user of `@cnnx/runtime` can act on. */

/**
 * The bytes given as a model are not a usable ONNX file (not ONNX at all, truncated, or without a graph).
 *
 * @example
 * try { await Classifier.load('notes.txt'); } catch (e) { if (e instanceof OnnxFormatError) console.log(e.file, e.reason); }
 */
export class OnnxFormatError extends Error {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`${file} is not a usable ONNX model: ${reason}`, options);
    this.name = 'OnnxFormatError';
    this.file = file;
    this.reason = reason;
  }
}

/**
 * No requested device could run the model. `causes` holds each device's reason, in the order they were tried.
 *
 * @example
 * try { await Classifier.load(bytes, { device: 'cuda' }); } catch (e) { if (e instanceof DeviceUnavailableError) console.log(e.causes); }
 */
export class DeviceUnavailableError extends Error {
  readonly causes: { device: string; reason: string }[];
  constructor(causes: { device: string; reason: string }[], options?: ErrorOptions) {
    const list = causes.map((c) => `${c.device}: ${c.reason}`).join('; ');
    super(
      causes.length === 1
        ? `device ${causes[0]?.device} cannot run the model: ${causes[0]?.reason}`
        : `no device could run the model (${list})`,
      options,
    );
    this.name = 'DeviceUnavailableError';
    this.causes = causes;
  }
}
