import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The version of package `name` as a module at `from` (a file URL or path, usually `import.meta.url`) would
 * load it, or null when it is not installed there. Works for packages whose `exports` hide their
 * `package.json` (onnxruntime-web): it walks up from the resolved entry to the manifest that names `name`.
 *
 * @example
 * installedVersion('onnxruntime-web', import.meta.url); // '1.30.0'
 * installedVersion('@tensorflow/tfjs-node', import.meta.url); // null where it could not install
 */
export function installedVersion(name: string, from: string | URL): string | null {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`'name' must be a package name, got ${JSON.stringify(name)}`);
  }
  const require = createRequire(from);
  let entry: string;
  try {
    entry = require.resolve(`${name}/package.json`);
  } catch {
    try {
      entry = require.resolve(name);
    } catch {
      return null;
    }
  }
  for (let folder = dirname(entry); ; folder = dirname(folder)) {
    const manifest = readManifest(join(folder, 'package.json'));
    if (manifest?.name === name && typeof manifest.version === 'string') return manifest.version;
    if (dirname(folder) === folder) return null;
  }
}

function readManifest(path: string): { name?: unknown; version?: unknown } | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return null;
  }
}
