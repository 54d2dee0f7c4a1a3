import { readFile } from 'node:fs/promises';
import { readOnnx } from '@cnnx/export';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatShape } from '../format.js';
import { printJson, say } from '../io.js';

/** `cnnx inspect FILE.onnx`: inputs, outputs, opset, metadata and the operator histogram. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('inspect')
    .description('describe an ONNX file: inputs, outputs, opset, metadata, operators')
    .argument('<file>', 'ONNX file')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', '\nExample:\n  cnnx inspect runs/quickstart/model.onnx --json')
    .action(async (file: string, flags: { json?: boolean }) => {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (error) {
        throw new CliError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code})`, {
          cause: error,
        });
      }
      let info: ReturnType<typeof readOnnx>;
      try {
        info = readOnnx(bytes);
      } catch (error) {
        throw new CliError(`${file}: ${(error as Error).message}`, { cause: error });
      }
      if (flags.json) {
        printJson({ file, bytes: bytes.byteLength, ...info });
        return;
      }
      const lines = [
        `${file} (${bytes.byteLength} bytes)`,
        `producer   ${info.producerName} ${info.producerVersion}, IR ${info.irVersion}, opset ${info.opset}`,
        `graph      ${info.graphName}: ${info.nodeCount} nodes, ${info.initializerCount} initializers, ${info.parameterCount} parameters`,
        ...info.inputs.map((input) => `input      ${input.name}: ${input.type} ${formatShape(input.shape)}`),
        ...info.outputs.map(
          (output) => `output     ${output.name}: ${output.type} ${formatShape(output.shape)}`,
        ),
        ...Object.entries(info.metadata).map(([key, value]) => `metadata   ${key} = ${value}`),
        'operators',
        ...Object.entries(info.operators).map(([op, count]) => `  ${op.padEnd(22)} ${count}`),
      ];
      say(lines.join('\n'));
    });
}
