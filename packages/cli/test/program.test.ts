import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createProgram } from '../src/program.js';

const ALL = [
  'quickstart',
  'train',
  'evaluate',
  'export',
  'inspect',
  'predict',
  'serve',
  'bench',
  'data',
  'models',
  'compare',
  'doctor',
  'setup',
];
const program = fileURLToPath(new URL('../src/program.ts', import.meta.url));
const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

async function registered(args?: string[]): Promise<string[]> {
  const built = await createProgram(args === undefined ? undefined : ['node', 'cnnx', ...args]);
  return built.commands.map((command) => command.name());
}

/** Runs `cnnx ARGS` in a child and says whether TensorFlow.js was loaded by the end (its engine is global). */
function loadsTensorflow(args: string[]): boolean {
  const script = `
    const { runCli } = await import(${JSON.stringify(program)});
    await runCli(['node', 'cnnx', ...${JSON.stringify(args)}]);
    process.stderr.write('tfjs ' + (globalThis._tfengine !== undefined));`;
  const result = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  const answer = /tfjs (true|false)/.exec(result.stderr);
  assert.ok(answer, `cnnx ${args.join(' ')}: ${result.stderr}`);
  return answer[1] === 'true';
}

describe('the cnnx program', () => {
  it('registers every command without argv, and for help, no command or a misspelt one', async () => {
    assert.deepEqual(await registered(), ALL);
    assert.deepEqual(await registered([]), ALL);
    assert.deepEqual(await registered(['--help']), ALL);
    assert.deepEqual(await registered(['help', 'serve']), ALL);
    assert.deepEqual(await registered(['serv']), ALL);
    assert.deepEqual(await registered(['--version', '--help']), ALL);
  });

  it('registers only the command a run names, and none for --version', async () => {
    assert.deepEqual(await registered(['serve', '--model', 'm.onnx']), ['serve']);
    assert.deepEqual(await registered(['--verbose', 'predict', 'a.png']), ['predict']);
    assert.deepEqual(await registered(['data', 'inspect', 'mnist-sample']), ['data']);
    assert.deepEqual(await registered(['--version']), []);
  });

  it('serve, predict, bench and setup never load TensorFlow.js; models does', () => {
    assert.equal(loadsTensorflow(['serve', '--help']), false);
    assert.equal(loadsTensorflow(['setup', '--help']), false);
    assert.equal(loadsTensorflow(['doctor', '--help']), false);
    assert.equal(loadsTensorflow(['predict', '--help']), false);
    assert.equal(loadsTensorflow(['bench', '--help']), false);
    assert.equal(loadsTensorflow(['models', '--json']), true);
  });

  it('stops quietly with exit 0 when its reader closes the pipe early', async () => {
    const child = spawn(process.execPath, ['--import', tsx, bin, '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
