import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

/** `cnnx inspect`: not available yet (its issue is open). */
export function register(program: Command, _context: CliContext): void {
  program
    .command('inspect')
    .description('not available yet')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('cnnx inspect is not available yet');
    });
}
