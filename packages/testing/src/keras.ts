// The real Keras files in ../shared/fixtures/keras/ and an independent numpy forward pass of a Keras file
// (scripts/keras-forward.py, run with Debian's Python, numpy and h5py), for the Keras reader's tests.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file sits in packages/testing/src or packages/testing/dist). */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The five real Keras files the tests read, with what Keras counts for each. */
export const KERAS_FIXTURES = [
  {
    file: 'h5-keras2.1.6-tensorspace-lenet-input28x28-reshape.h5',
    kerasVersion: '2.1.6',
    parameters: 44_426,
  },
  { file: 'h5-keras2.3.1-ikukang-dlwp-convnet.h5', kerasVersion: '2.3.1', parameters: 93_322 },
  { file: 'h5-tfkeras2.10.0-kilneta-cnn5x5-act-dropout.h5', kerasVersion: '2.10.0', parameters: 242_062 },
  {
    file: 'keras3-3.5.0-vivekchau-separate-activation-layers.keras',
    kerasVersion: '3.5.0',
    parameters: 81_066,
  },
  { file: 'keras3-3.13.2-charm0625-batchnorm.keras', kerasVersion: '3.13.2', parameters: 158_058 },
] as const;

/**
 * The folder of the real Keras fixtures: `$CNNX_KERAS_FIXTURES`, else `../shared/fixtures/keras` beside the
 * repository. Returns the reason instead when the folder or one of the files is missing, for `skip`.
 *
 * @example
 * const fixtures = kerasFixturesDir();
 * test('reads them', { skip: fixtures.skip }, () => { … join(fixtures.dir, KERAS_FIXTURES[0].file) … });
 */
export function kerasFixturesDir(): { dir: string; skip: string | false } {
  const dir = process.env.CNNX_KERAS_FIXTURES ?? join(REPO, '..', 'shared', 'fixtures', 'keras');
  if (!existsSync(dir)) {
    return { dir, skip: `no Keras fixtures at ${dir} (set CNNX_KERAS_FIXTURES to their folder)` };
  }
  const present = new Set(readdirSync(dir));
  const missing = KERAS_FIXTURES.filter((fixture) => !present.has(fixture.file)).map(
    (fixture) => fixture.file,
  );
  return {
    dir,
    skip: missing.length > 0 ? `Keras fixtures missing from ${dir}: ${missing.join(', ')}` : false,
  };
}

/**
 * Why the numpy reference cannot run here (no /usr/bin/python3 with numpy and h5py), or false when it can.
 *
 * @example
 * test('matches numpy', { skip: kerasReferenceUnavailable() }, () => { … });
 */
export function kerasReferenceUnavailable(): string | false {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import h5py, numpy'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'the numpy reference needs /usr/bin/python3 with python3-numpy and python3-h5py';
  }
}

/**
 * The output of the Keras model in `modelPath` on `inputs` (float32, batch first, in the model's own
 * input shape), computed by scripts/keras-forward.py from the file's own config and weights with numpy
 * in float64. `work` is a folder for the two exchange files.
 *
 * @example
 * const expected = kerasReferenceForward('mnist.h5', images, tmp); // n × 10 probabilities
 */
export function kerasReferenceForward(modelPath: string, inputs: Float32Array, work: string): Float32Array {
  const inputsPath = join(work, 'keras-reference-inputs.f32');
  const outputsPath = join(work, 'keras-reference-outputs.f32');
  writeFileSync(inputsPath, inputs);
  execFileSync(
    '/usr/bin/python3',
    [join(REPO, 'scripts', 'keras-forward.py'), modelPath, inputsPath, outputsPath],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const bytes = readFileSync(outputsPath);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
