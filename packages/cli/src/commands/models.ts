import { buildModel, formatModelSummary, initBackend, PRESET_NAMES, presets } from '@cnnx/train';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { printJson, say } from '../io.js';

/** `cnnx models`: lists the presets with their parameter counts (for 28×28×1 images and 10 classes). */
export function register(program: Command, _context: CliContext): void {
  program
    .command('models')
    .description('list the built-in models with their parameter counts (28×28×1 input, 10 classes)')
    .option('--summary <name>', 'print the layer table of one preset')
    .option('--json', 'print the list as JSON on stdout')
    .addHelpText('after', '\nExamples:\n  $ cnnx models\n  $ cnnx models --summary best')
    .action(async (options: { json?: boolean; summary?: string }) => {
      await initBackend('cpu');
      const rows = PRESET_NAMES.map((name) => {
        const model = buildModel(name, { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
        const parameters = model.countParams();
        const summary = options.summary === name ? formatModelSummary(model) : undefined;
        model.dispose();
        return {
          name,
          parameters,
          augment: presets[name].augment,
          description: presets[name].description,
          summary,
        };
      });
      if (options.summary !== undefined && !rows.some((row) => row.summary)) {
        const { UsageError } = await import('../errors.js');
        throw new UsageError(
          `--summary: unknown model "${options.summary}"; accepted: ${PRESET_NAMES.join(', ')}`,
        );
      }
      if (options.json) {
        printJson(
          rows.map(({ name, parameters, augment, description }) => ({
            name,
            parameters,
            augment,
            description,
          })),
        );
        return;
      }
      const width = Math.max(...rows.map((row) => row.name.length));
      for (const row of rows) {
        say(
          `${row.name.padEnd(width)}  ${row.parameters.toLocaleString('en-US').padStart(9)} params  ${row.description}`,
        );
      }
      for (const row of rows) if (row.summary) say(`\n${row.summary}`);
    });
}
