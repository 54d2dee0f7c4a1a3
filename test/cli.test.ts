import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lines, runCnnx } from './helpers/cli.js';

describe('cnnx command-line conventions', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cnnx-cli-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('--help of every command shows an example', async () => {
    for (const command of ['quickstart', 'train', 'evaluate', 'export', 'predict', 'bench']) {
      const { code, stdout } = await runCnnx([command, '--help']);
      assert.equal(code, 0, command);
      assert.match(stdout, /Example/i, `${command} --help has an example`);
    }
  });

  const badFlags: [flag: string, value: string][] = [
    ['--epochs', '0'],
    ['--epochs', 'abc'],
    ...['twist', 'shift=0', 'rotate=x', 'flip=2'].map((kinds): [string, string] => ['--augment', kinds]),
  ];
  for (const [flag, value] of badFlags) {
    test(`train ${flag} ${value} is a usage error: exit 2, one line naming the flag and the value`, async () => {
      const { code, stderr } = await runCnnx([
        'train',
        '--dataset',
        'mnist-sample',
        '--out',
        join(work, 'x'),
        flag,
        value,
      ]);
      assert.equal(code, 2);
      assert.equal(lines(stderr).length, 1, stderr);
      assert.ok(stderr.includes(flag) && stderr.includes(value), stderr);
    });
  }

  test('an unknown command is a usage error', async () => {
    const { code } = await runCnnx(['fly']);
    assert.equal(code, 2);
  });

  test('evaluate on a folder that holds no model exits 1 and names what it looked for', async () => {
    const { code, stderr } = await runCnnx(['evaluate', '--model', work, '--dataset', 'mnist-sample']);
    assert.equal(code, 1);
    assert.equal(lines(stderr).length, 1, stderr);
    assert.match(stderr, /model\.json/);
  });

  test("train uses a preset's measured defaults unless a flag says otherwise", async () => {
    const config = async (extra: string[]) => {
      const out = join(work, `preset-${extra.length}`);
      const run = await runCnnx(
        [
          'train',
          '--dataset',
          'mnist-sample',
          '--model',
          'best',
          '--limit',
          '200',
          '--out',
          out,
          '--json',
          ...extra,
        ],
        { timeoutMs: 180_000 },
      );
      assert.equal(run.code, 0, run.stderr);
      return (JSON.parse(run.stdout) as { config: Record<string, unknown> }).config;
    };
    const defaults = await config(['--epochs', '1']);
    assert.equal(defaults.learningRate, 0.002);
    assert.deepEqual(defaults.schedule, { type: 'cosine' });
    assert.equal(defaults.augment, true);
    const chosen = await config([
      '--epochs',
      '1',
      '--lr',
      '0.01',
      '--schedule',
      'constant',
      '--augment',
      'shift=3,flip',
    ]);
    assert.equal(chosen.learningRate, 0.01);
    assert.deepEqual(chosen.schedule, { type: 'constant' });
    assert.deepEqual(chosen.augment, { shift: 3, flip: true });
  });
});
