import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { printJson, say } from '../io.js';
import { choice } from '../options.js';

const TARGETS = ['cuda'] as const;

/** `cnnx setup cuda`: onnxruntime-node's installer with its CUDA 12 option, then a CUDA session to prove it. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('setup')
    .description(
      "add an optional accelerator: 'cuda' installs onnxruntime-node's CUDA 12 provider and checks it",
    )
    .argument('<target>', `what to set up: ${TARGETS.join(', ')}`, choice('<target>', TARGETS))
    .option('--force', 'download again even when the provider is already installed')
    .option('--json', 'print the result as one JSON document on stdout')
    .addHelpText(
      'after',
      '\nNeeds an NVIDIA GPU and driver, CUDA 12 and cuDNN 9, and access to https://api.nuget.org\n' +
        '(behind a proxy, set HTTPS_PROXY=http://HOST:PORT). `npm ci` removes the provider again.\n' +
        '\nExample:\n  $ cnnx setup cuda && cnnx doctor',
    )
    .action(async (_target: (typeof TARGETS)[number], flags: { force?: boolean; json?: boolean }) => {
      const { CudaSetupError, setUpCuda } = await import('@cnnx/runtime');
      let result: Awaited<ReturnType<typeof setUpCuda>>;
      try {
        result = await setUpCuda({ force: flags.force === true, onOutput: say });
      } catch (error) {
        if (error instanceof CudaSetupError) throw new CliError(error.message, { cause: error });
        throw error;
      }
      if (flags.json) {
        printJson({
          target: 'cuda',
          installerRan: result.installerRan,
          folder: result.folder,
          provider: result.cuda,
        });
        return;
      }
      say(
        `cuda: ready: ${result.installerRan ? 'installed in' : 'already installed in (--force downloads again)'} ` +
          `${result.folder}; a CUDA session opened and ran, so --device auto and --device cuda use it`,
      );
    });
}
