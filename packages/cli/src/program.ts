import { Command, CommanderError } from 'commander';
import * as bench from './commands/bench.js';
import * as compare from './commands/compare.js';
import * as data from './commands/data.js';
import * as evaluate from './commands/evaluate.js';
import * as exportCommand from './commands/export.js';
import * as inspect from './commands/inspect.js';
import * as models from './commands/models.js';
import * as predict from './commands/predict.js';
import * as quickstart from './commands/quickstart.js';
import * as serve from './commands/serve.js';
import * as train from './commands/train.js';
import type { CliContext } from './context.js';
import { describeError, exitCodeOf } from './errors.js';

export const VERSION = '0.1.0';

const commands = [
  quickstart,
  train,
  evaluate,
  exportCommand,
  inspect,
  predict,
  serve,
  bench,
  data,
  models,
  compare,
];

/**
 * Builds the `cnnx` program with every command registered.
 *
 * @example
 * const code = await runCli(['node', 'cnnx', 'models']); // prints the presets, returns 0
 */
export function createProgram(): Command {
  const program = new Command('cnnx');
  const context: CliContext = {
    version: VERSION,
    verbose: () => Boolean(program.opts().verbose),
  };
  program
    .description('Train a small image-classification CNN, export it to ONNX, and run it anywhere.')
    .version(VERSION)
    .option('--verbose', 'print stack traces with errors')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/\n+$/, '\n')) });
  for (const command of commands) command.register(program, context);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the program on `argv` and returns the exit code; never throws. */
export async function runCli(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return 0;
      }
      return error.exitCode === 0 ? 0 : 2;
    }
    const verbose = process.argv.includes('--verbose') || argv.includes('--verbose');
    process.stderr.write(`cnnx: ${describeError(error)}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return exitCodeOf(error);
  }
}
