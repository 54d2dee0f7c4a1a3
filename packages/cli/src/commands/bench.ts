import { stat } from 'node:fs/promises';
import {
  type Device,
  measureThroughput,
  randomFeeds,
  registeredDevices,
  type TensorLike,
  type ThroughputSummary,
} from '@cnnx/runtime';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, describeError, UsageError } from '../errors.js';
import { formatBytes, formatShape } from '../format.js';
import { printJson, say } from '../io.js';
import { loadClassifier, locateModel, onnxOnly } from '../model-location.js';
import { choice, integer, number } from '../options.js';

interface BenchFlags {
  model: string;
  device: string;
  batch: number[];
  seconds: number;
  threads?: number;
  worker?: boolean;
  json?: boolean;
}

const EXAMPLE = `
Example:
  cnnx bench --model runs/quickstart/model.onnx --batch 1,32,256 --seconds 2
  cnnx bench --model digits.onnx --device cpu --threads 1 --batch 1 --json

Each batch size gets random inputs of the model's input shape, 3 warm-up runs, then runs for about
--seconds (at least 50 runs, or 10 from batch 256 on, within 4 × --seconds). images/s is batch × runs
divided by the time spent in the measured runs; p50/p90/p99 are the latencies of single runs.`;

/**
 * A commander parser for `--batch 1,32,256`: each size an integer ≥ 1, as {@link integer} checks it.
 *
 * @example
 * batchSizes('1,32,256'); // → [1, 32, 256]
 * batchSizes('0'); // throws "expected a comma-separated list of integers ≥ 1 for --batch (like 1,32,256)"
 */
function batchSizes(value: string): number[] {
  const parseSize = integer('--batch', { min: 1 });
  try {
    const sizes = value.split(',').map((size) => parseSize(size.trim()));
    return [...new Set(sizes)];
  } catch {
    throw new InvalidArgumentError(
      'expected a comma-separated list of integers ≥ 1 for --batch (like 1,32,256)',
    );
  }
}

/** The runtime's random feeds for `batch`: a fixed batch of another size is a usage error, an input that cannot be fed a failure. */
function feedsFor(
  inputs: Parameters<typeof randomFeeds>[0],
  batch: number,
  model: string,
): Record<string, TensorLike> {
  try {
    return randomFeeds(inputs, batch);
  } catch (error) {
    const message = describeError(error);
    if (error instanceof RangeError)
      throw new UsageError(`--batch ${batch}: ${message} in ${model}`, { cause: error });
    throw new CliError(`--model ${model}: ${message}; cnnx bench feeds float32 images`, { cause: error });
  }
}

function formatRow(result: ThroughputSummary): string {
  const ms = (value: number) => value.toFixed(3).padStart(9);
  return [
    String(result.batch).padStart(6),
    Math.round(result.imagesPerSecond).toLocaleString('en-US').padStart(11),
    String(result.runs).padStart(7),
    ms(result.p50Ms),
    ms(result.p90Ms),
    ms(result.p99Ms),
  ].join('  ');
}

/** `cnnx bench --model FILE.onnx`: images/s and latency quantiles of an ONNX model, per batch size. */
export function register(program: Command, _context: CliContext): void {
  const devices = ['auto', ...registeredDevices()];
  program
    .command('bench')
    .description("measure an ONNX model's images/s and p50/p90/p99 latency on this machine, per batch size")
    .requiredOption('--model <file>', 'the .onnx file to measure')
    .option(
      '--device <device>',
      `where the model runs: ${devices.join(', ')}`,
      choice('--device', devices),
      'auto',
    )
    .addOption(
      new Option('--batch <sizes>', 'comma-separated batch sizes')
        .argParser(batchSizes)
        .default([1, 32, 256], '1,32,256'),
    )
    .option(
      '--seconds <s>',
      'about how long to measure each batch size',
      number('--seconds', { above: 0 }),
      2,
    )
    .option(
      '--threads <n>',
      "onnxruntime intra-op threads (default: onnxruntime's choice)",
      integer('--threads', { min: 1, max: 256 }),
    )
    .option('--worker', 'run onnxruntime in a worker thread, as cnnx serve does (inputs are copied across)')
    .option(
      '--json',
      'print one JSON document on stdout: {model, device, provider, results: [{batch, imagesPerSecond, runs, seconds, p50Ms, p90Ms, p99Ms}], …}',
    )
    .addHelpText('after', EXAMPLE)
    .action(async (flags: BenchFlags) => {
      const location = await locateModel(flags.model);
      if (location.kind !== 'onnx') throw onnxOnly(flags.model, location.kind, 'bench');
      const file = location.file;
      const bytes = (await stat(file)).size;
      const classifier = await loadClassifier(file, flags.model, {
        device: flags.device as Device, // one of `devices`, checked by choice()
        threads: flags.threads,
        worker: Boolean(flags.worker),
      });
      const { info } = classifier;
      const results: ThroughputSummary[] = [];
      try {
        const feedsByBatch = flags.batch.map((batch) => feedsFor(info.inputs, batch, flags.model));
        say(`${flags.model}: ${formatBytes(bytes)}, opset ${info.opset}`);
        for (const input of info.inputs)
          say(`  input  ${input.name}: ${input.type} ${formatShape(input.shape)}`);
        for (const output of info.outputs)
          say(`  output ${output.name}: ${output.type} ${formatShape(output.shape)}`);
        const threads = info.threads === null ? "onnxruntime's default threads" : `${info.threads} threads`;
        say(
          `device ${info.device} (provider ${info.provider}, ${threads}, ${flags.worker ? 'worker thread' : 'main thread'})`,
        );
        for (const skipped of info.skipped) say(`  skipped ${skipped.device}: ${skipped.reason}`);
        say(`about ${flags.seconds} s per batch size after 3 warm-up runs\n`);
        say(' batch     images/s     runs     p50 ms     p90 ms     p99 ms');
        for (const [index, batch] of flags.batch.entries()) {
          const feeds = feedsByBatch[index]!;
          let result: ThroughputSummary;
          try {
            result = await measureThroughput(() => classifier.run(feeds), { batch, seconds: flags.seconds });
          } catch (error) {
            const message = describeError(error);
            throw new CliError(`--model ${flags.model}: a run at batch ${batch} failed: ${message}`, {
              cause: error,
            });
          }
          results.push(result);
          say(formatRow(result));
        }
      } finally {
        await classifier.release();
      }
      if (flags.json) {
        printJson({
          model: flags.model,
          bytes,
          opset: info.opset,
          inputs: info.inputs,
          device: info.device,
          provider: info.provider,
          skipped: info.skipped,
          threads: info.threads,
          worker: Boolean(flags.worker),
          results: results.map(({ batch, imagesPerSecond, runs, seconds, p50Ms, p90Ms, p99Ms }) => ({
            batch,
            imagesPerSecond,
            runs,
            seconds,
            p50Ms,
            p90Ms,
            p99Ms,
          })),
        });
      }
    });
}
