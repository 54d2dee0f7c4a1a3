import { prepareDigit } from '@cnnx/data';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { rankClasses } from '../core/rank.js';
import { HttpError } from './errors.js';
import type { ModelSignature } from './protocol.js';
import type { ServedModel } from './types.js';

/** What the `/classify` route needs from the server. */
export interface ClassifyRouteOptions {
  model: ServedModel;
  findModel: (request: FastifyRequest) => ModelSignature;
  requireReady: () => void;
  maxBodyBytes: number;
  maxImagePixels: number;
  maxFiles: number;
  topK: number;
  /** Classify requests allowed at once; one more is answered 503. */
  maxConcurrent: number;
}

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

/** One uploaded image and where it came from. */
interface Upload {
  name: string;
  bytes: Buffer;
}

/**
 * Registers `POST /v2/models/{name}/classify`: an image body (`image/png`, `image/jpeg`, `image/webp`) or a
 * multipart form with one or more image files → the top-k classes of each, the images prepared by
 * `prepareDigit` exactly as `cnnx predict` prepares them. Only PNG, JPEG and WebP bytes reach the decoder,
 * and an image whose header declares more than `maxImagePixels` pixels is refused before decoding.
 *
 * @example
 * await app.register((scope) => registerClassifyRoute(scope, options));
 * // curl -s --data-binary @7.png -H 'content-type: image/png' $url/v2/models/mnist/classify
 * // → {"model_name":"mnist","model_version":"1","results":[{"label":"7","index":7,"probability":0.99,"top":[...]}]}
 */
export async function registerClassifyRoute(
  scope: FastifyInstance,
  options: ClassifyRouteOptions,
): Promise<void> {
  const { model, maxImagePixels, maxFiles } = options;
  scope.removeAllContentTypeParsers();
  await scope.register(multipart, {
    limits: { fileSize: options.maxBodyBytes, files: maxFiles, fields: 16, parts: maxFiles + 16 },
  });
  scope.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  let active = 0;

  const handler = async (request: FastifyRequest) => {
    const found = options.findModel(request);
    options.requireReady();
    const topK = parseTop((request.query as Record<string, unknown>).top, options.topK, found);
    if (active >= options.maxConcurrent) {
      throw new HttpError(503, `server overloaded: ${active} image requests already in progress`);
    }
    active++;
    try {
      const uploads = await readUploads(request, options.maxBodyBytes, maxFiles);
      const pixels = new Uint8Array(uploads.length * 784);
      for (const [index, upload] of uploads.entries()) {
        checkImageBytes(upload);
        const digit = await prepareImage(upload, maxImagePixels);
        pixels.set(digit, index * 784);
      }
      const probabilities = await model.probabilities(pixels, uploads.length);
      const classes = probabilities.length / uploads.length;
      return {
        model_name: found.name,
        model_version: found.version,
        results: uploads.map((upload, image) => ({
          file: upload.name,
          ...rankClasses(
            probabilities.subarray(image * classes, (image + 1) * classes),
            found.classNames,
            topK,
          ),
        })),
      };
    } finally {
      active--;
    }
  };
  scope.post('/v2/models/:name/classify', handler);
  scope.post('/v2/models/:name/versions/:version/classify', handler);
}

/**
 * The images of a request: its body, or each file of a multipart form. The whole multipart body counts
 * against `maxBodyBytes` (Fastify's body limit does not see a multipart stream): a declared length over it
 * is refused before reading, and reading stops as soon as the bytes received pass it.
 */
async function readUploads(
  request: FastifyRequest,
  maxBodyBytes: number,
  maxFiles: number,
): Promise<Upload[]> {
  if (Buffer.isBuffer(request.body)) return [{ name: 'body', bytes: request.body }];
  if (!request.isMultipart()) {
    const type = request.headers['content-type'] ?? 'none';
    throw new HttpError(
      415,
      `content-type '${type}' is not an image (${IMAGE_TYPES.join(', ')}) or multipart/form-data`,
    );
  }
  const type = request.headers['content-type'] ?? '';
  if (!/;\s*boundary=("[^"]+"|[^\s;]+)/i.test(type)) {
    throw new HttpError(
      400,
      `content-type '${type}' has no boundary parameter; expected multipart/form-data; boundary=...`,
    );
  }
  const tooLarge = () => new HttpError(413, `request body is larger than the limit of ${maxBodyBytes} bytes`);
  // The rest of a refused body is read and dropped, so the client sees the answer instead of a reset.
  const discardRest = () => {
    request.raw.unpipe();
    request.raw.resume();
  };
  if (Number(request.headers['content-length']) > maxBodyBytes) {
    discardRest();
    throw tooLarge();
  }
  let received = 0;
  const count = (chunk: Buffer) => {
    received += chunk.length;
  };
  request.raw.on('data', count);
  const uploads: Upload[] = [];
  try {
    for await (const part of request.parts()) {
      if (received > maxBodyBytes) throw tooLarge();
      if (part.type !== 'file') continue;
      const chunks: Buffer[] = [];
      for await (const chunk of part.file as AsyncIterable<Buffer>) {
        if (received > maxBodyBytes) throw tooLarge();
        chunks.push(chunk);
      }
      if (part.file.truncated) throw tooLarge();
      uploads.push({ name: part.filename || part.fieldname, bytes: Buffer.concat(chunks) });
    }
  } catch (error) {
    discardRest();
    throw multipartError(error, maxFiles, tooLarge);
  } finally {
    request.raw.off('data', count);
  }
  if (received > maxBodyBytes) throw tooLarge();
  if (uploads.length === 0)
    throw new HttpError(400, 'the multipart form holds no file; expected image files');
  return uploads;
}

/** The multipart parser's failures as the client's faults: a status of ours and one line saying which. */
function multipartError(error: unknown, maxFiles: number, tooLarge: () => HttpError): HttpError {
  if (error instanceof HttpError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return new HttpError(
      413,
      `the multipart form holds more than ${maxFiles} files; send at most ${maxFiles} images per request`,
      { cause: error },
    );
  }
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge();
  if (code === 'FST_FIELDS_LIMIT') {
    return new HttpError(413, 'the multipart form holds too many fields; send only image files', {
      cause: error,
    });
  }
  const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  return new HttpError(400, `the multipart form is malformed: ${reason}`, { cause: error });
}

/** Only PNG, JPEG and WebP go to the decoder: no SVG (which may name other files), no TIFF, no GIF. */
function checkImageBytes(upload: Upload): void {
  const bytes = upload.bytes;
  const png =
    bytes.length > 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a;
  const jpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const webp =
    bytes.length > 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WEBP';
  if (!png && !jpeg && !webp) {
    throw new HttpError(
      400,
      `file '${upload.name}' is not a PNG, JPEG or WebP image (${bytes.length} bytes)`,
    );
  }
}

async function prepareImage(upload: Upload, maxPixels: number): Promise<Uint8Array> {
  try {
    const digit = await prepareDigit(upload.bytes, { maxPixels });
    return digit.pixels;
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    const detail = typeof reason === 'string' ? reason : (error as Error).message.split('\n')[0];
    if (typeof reason === 'string' && reason.includes('maxPixels')) {
      throw new HttpError(413, `file '${upload.name}' ${detail}`, { cause: error });
    }
    throw new HttpError(400, `file '${upload.name}' ${detail}`, { cause: error });
  }
}

function parseTop(value: unknown, fallback: number, model: ModelSignature): number {
  const classes = model.outputs[0]?.itemSize ?? 1;
  if (value === undefined) return Math.min(fallback, classes);
  const top = Number(value);
  if (typeof value !== 'string' || !Number.isSafeInteger(top) || top < 1) {
    throw new HttpError(400, `query parameter top '${String(value)}' must be an integer 1-${classes}`);
  }
  return Math.min(top, classes);
}
