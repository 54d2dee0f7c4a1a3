import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

/** `cnnx data`: not available yet (its issue is open). */
export function register(program: Command, _context: CliContext): void {
  program
    .command('data')
    .description('not available yet')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('cnnx data is not available yet');
    });
}
