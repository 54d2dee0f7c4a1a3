import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

/** `cnnx bench`: not available yet (its issue is open). */
export function register(program: Command, _context: CliContext): void {
  program
    .command('bench')
    .description('not available yet')
    .allowUnknownOption()
    .action(() => {
      throw new CliError('cnnx bench is not available yet');
    });
}
