import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { describeError, exitCodeOf } from './errors.js';

export const VERSION = '0.1.0';

interface CommandModule {
  register(program: Command, context: CliContext): void;
}

/**
 * Every command, in the order `cnnx --help` lists them. Each module is imported only when needed: a run
 * of one command loads only that command's dependencies (`cnnx serve` never loads TensorFlow.js).
 */
const COMMANDS = {
  quickstart: () => import('./commands/quickstart.js'),
  train: () => import('./commands/train.js'),
  evaluate: () => import('./commands/evaluate.js'),
  export: () => import('./commands/export.js'),
  inspect: () => import('./commands/inspect.js'),
  predict: () => import('./commands/predict.js'),
  serve: () => import('./commands/serve.js'),
  bench: () => import('./commands/bench.js'),
  data: () => import('./commands/data.js'),
  models: () => import('./commands/models.js'),
  compare: () => import('./commands/compare.js'),
  doctor: () => import('./commands/doctor.js'),
  setup: () => import('./commands/setup.js'),
} satisfies Record<string, () => Promise<CommandModule>>;

type CommandName = keyof typeof COMMANDS;
const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

function isCommandName(word: string): word is CommandName {
  return Object.hasOwn(COMMANDS, word);
}

/**
 * The commands a run of `argv` needs registered: the one it names (the first word after the program that
 * is not an option; the program's own options take no values), none for `cnnx --version`, and every
 * command for `cnnx`, `cnnx --help`, `cnnx help …` or a misspelt command.
 */
function commandsFor(argv: readonly string[]): CommandName[] {
  const args = argv.slice(2);
  const word = args.find((arg) => !arg.startsWith('-'));
  if (word !== undefined && isCommandName(word)) return [word];
  const asksVersion = args.includes('--version') || args.includes('-V');
  const asksHelp = args.includes('--help') || args.includes('-h');
  if (word === undefined && asksVersion && !asksHelp) return [];
  return COMMAND_NAMES;
}

/**
 * Builds the `cnnx` program: with `argv`, only the commands that run needs are registered; without,
 * every command.
 *
 * @example
 * const program = await createProgram(); // program.commands lists all thirteen
 */
export async function createProgram(argv?: readonly string[]): Promise<Command> {
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
  const names = argv === undefined ? COMMAND_NAMES : commandsFor(argv);
  const modules = await Promise.all(names.map((name) => COMMANDS[name]()));
  for (const module of modules) module.register(program, context);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Runs the program on `argv` and returns the exit code; never throws.
 *
 * @example
 * const code = await runCli(['node', 'cnnx', 'models']); // prints the presets, returns 0
 */
export async function runCli(argv: string[]): Promise<number> {
  try {
    const program = await createProgram(argv);
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
