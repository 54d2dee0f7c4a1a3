/**
 * An error the server answers with its own status and a one-line `{"error": "..."}` body.
 *
 * @example
 * throw new HttpError(400, "inputs[0].datatype 'INT64' is not supported; expected FP32 or UINT8");
 */
export class HttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpError';
    this.statusCode = statusCode;
  }
}

/** A 400 naming the request field at fault. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}
