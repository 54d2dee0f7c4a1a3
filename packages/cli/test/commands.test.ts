import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/', import.meta.url));
const commands = join(source, 'commands');

/** Every module `file` imports by a relative path (static or dynamic), resolved to its .ts source. */
async function relativeImports(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
    (match) => match[1]!,
  );
  return specifiers.map((specifier) => resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('the command modules only parse and print', () => {
  test('each file in src/commands/ has at most 200 lines', async () => {
    const files = await sourceFiles(commands);
    assert.ok(files.length >= 11, 'every command is there');
    for (const file of files) {
      const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').length;
      assert.ok(lines <= 200, `${relative(source, file)} has ${lines} lines`);
    }
  });

  test('no module but program.ts imports a command module, so no command loads another', async () => {
    for (const file of await sourceFiles(source)) {
      if (file === join(source, 'program.ts')) continue;
      for (const imported of await relativeImports(file)) {
        assert.ok(
          !imported.startsWith(`${commands}/`),
          `${relative(source, file)} imports ${relative(source, imported)}`,
        );
      }
    }
  });
});
