import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CliError } from '../src/errors.js';
import { checkOutputPath, isCnnxReportFolder, isFigureName } from '../src/output-paths.js';

let folder = '';
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-output-paths-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('checkOutputPath', () => {
  test('a new path, an empty folder, own output and --force pass; what the user has does not', async () => {
    const isOwn = async (path: string) => path.endsWith('own.txt');
    const file = (path: string, force = false) =>
      checkOutputPath({ flag: '--out', path: join(folder, path), kind: 'file', force, isOwnOutput: isOwn });
    await writeFile(join(folder, 'own.txt'), 'x');
    await writeFile(join(folder, 'theirs.txt'), 'x');
    await mkdir(join(folder, 'empty'));
    assert.equal(await file('new/deeper/model.onnx'), 'new');
    assert.equal(await file('own.txt'), 'refresh');
    assert.equal(await file('theirs.txt', true), 'forced');
    await assert.rejects(file('theirs.txt'), (error: Error) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.exitCode, 1);
      assert.match(
        error.message,
        /^--out .*theirs\.txt exists; choose another path or pass --force to replace it$/,
      );
      return true;
    });
    await assert.rejects(file('empty'), /is a folder; expected a file name/);
    const emptyFolder = await checkOutputPath({
      flag: '--report',
      path: join(folder, 'empty'),
      kind: 'folder',
      force: false,
    });
    assert.equal(emptyFolder, 'new');
    await assert.rejects(
      checkOutputPath({ flag: '--report', path: join(folder, 'theirs.txt'), kind: 'folder', force: true }),
      /is a file; expected a folder/,
    );
    await assert.rejects(
      file('theirs.txt/inside.onnx'),
      /theirs\.txt is a file, so no folder can be made there/,
    );
  });

  test('a report folder is cnnx’s own only when its page carries cnnx’s footer and nothing else is there', async () => {
    const report = join(folder, 'report');
    await mkdir(report);
    const page = (name: string) => name === 'report.html' || isFigureName(name);
    await writeFile(
      join(report, 'report.html'),
      '<footer><p>Written by cnnx on 2026-12-06T03:00:00.000Z.</p></footer>',
    );
    await writeFile(join(report, 'confusion-matrix.png'), 'png');
    assert.equal(await isCnnxReportFolder(report, 'report.html', page), true);
    await writeFile(join(report, 'notes.txt'), 'mine');
    assert.equal(await isCnnxReportFolder(report, 'report.html', page), false);
    await rm(join(report, 'notes.txt'));
    await writeFile(join(report, 'report.html'), '<p>my own report</p>');
    assert.equal(await isCnnxReportFolder(report, 'report.html', page), false);
  });
});
