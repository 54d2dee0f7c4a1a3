import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { describeError } from '../errors.js';
import { printJson, say } from '../io.js';

/** The command that adds CUDA, printed wherever CUDA does not run. */
const CUDA_SETUP = 'cnnx setup cuda';

/** A section of the report, or why it could not be gathered (a broken install must not hide the rest). */
type Section<T> = T | { error: string };

async function gather<T>(read: () => Promise<T>): Promise<Section<T>> {
  try {
    return await read();
  } catch (error) {
    return { error: describeError(error) };
  }
}

function failed<T extends object>(section: Section<T>): section is { error: string } {
  return 'error' in section;
}

/** Everything `cnnx doctor` reports; the libraries do the looking. */
async function diagnose(version: string, dataDir: string | undefined) {
  const [data, runtime] = await Promise.all([import('@cnnx/data'), import('@cnnx/runtime')]);
  const [providers, training, machine, datasets] = await Promise.all([
    gather(() => runtime.describeExecutionProviders()),
    gather(async () => {
      await import('@cnnx/runtime/training'); // registers onnxruntime, which auto prefers
      return (await import('@cnnx/train')).describeTrainingBackends();
    }),
    gather(() => runtime.describeMachine()),
    gather(() => data.describeDatasets(dataDir === undefined ? {} : { dataDir })),
  ]);
  const versions = {
    node: process.versions.node,
    npm: failed(machine) ? null : machine.npm,
    cnnx: version,
    ...runtime.onnxruntimeVersions(),
    ...(failed(training) ? {} : training.versions),
  };
  const cudaRuns = !failed(providers) && providers.some((p) => p.name === 'cuda' && p.available);
  return {
    versions,
    inference: { providers, cudaSetup: cudaRuns ? null : CUDA_SETUP },
    training,
    machine,
    data: datasets,
  };
}

type Report = Awaited<ReturnType<typeof diagnose>>;

const yes = (available: boolean) => (available ? 'yes' : 'no ');

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** Rows of `name  yes|no  text`, the names padded to one width. */
function table(rows: [name: string, available: boolean, text: string][]): string[] {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, available, text]) => `  ${name.padEnd(width)}  ${yes(available)}  ${text}`);
}

function versionLines(versions: Report['versions']): string[] {
  const entries = Object.entries(versions).map(([name, value]) => `${name} ${value ?? 'not installed'}`);
  return [entries.slice(0, 3), entries.slice(3, 5), entries.slice(5)]
    .filter((group) => group.length > 0)
    .map((group) => `  ${group.join(' · ')}`);
}

function inferenceLines(inference: Report['inference']): string[] {
  if (failed(inference.providers)) return [`  could not be checked: ${inference.providers.error}`];
  const rows = inference.providers.map((provider): [string, boolean, string] => [
    provider.name,
    provider.available,
    provider.available
      ? provider.device
        ? `cnnx device ${provider.device}`
        : 'loads, but cnnx does not use it in Node'
      : (provider.reason ?? ''),
  ]);
  const setup = inference.cudaSetup
    ? [`  to add CUDA: ${inference.cudaSetup} (an NVIDIA GPU and driver, CUDA 12, cuDNN 9, internet)`]
    : [];
  return [...table(rows), ...setup];
}

function trainingLines(training: Report['training']): string[] {
  if (failed(training)) return [`  could not be checked: ${training.error}`];
  return table(
    training.backends.map((backend) => [
      backend.engine === backend.name ? backend.name : `${backend.engine} ${backend.name}`,
      backend.available,
      (backend.available ? backend.detail : backend.reason) ?? '',
    ]),
  );
}

function machineLines(machine: Report['machine']): string[] {
  if (failed(machine)) return [`  could not be checked: ${machine.error}`];
  const { cpu, memory, gpu } = machine;
  const gpus = gpu.visible
    ? gpu.devices
        .map(
          (d) =>
            `${d.name}${d.memoryMiB ? `, ${d.memoryMiB} MiB` : ''}${d.driver ? `, driver ${d.driver}` : ''}`,
        )
        .join('; ')
    : `none visible: ${gpu.reason ?? ''}`;
  return [
    `  system  ${machine.platform}/${machine.arch}`,
    `  cpu     ${cpu.model}, ${cpu.logicalCores} logical cores (${cpu.usableCores} usable to cnnx)`,
    `  simd    ${cpu.simd.join(' ') || 'none known'}; WebAssembly SIMD ${cpu.wasmSimd ? 'yes' : 'no'}`,
    `  memory  ${gib(memory.totalBytes)}, ${gib(memory.freeBytes)} free`,
    `  gpu     ${gpus}`,
  ];
}

function dataLines(data: Report['data']): string[] {
  if (failed(data)) return [`  could not be checked: ${data.error}`];
  const folders = data.folders.map((f) => `${f.role} ${f.path}${f.exists ? '' : ' (missing)'}`);
  return [
    `  looks in ${folders.join(' · ')}`,
    ...table(data.datasets.map((dataset) => [dataset.name, dataset.present, dataset.source])),
  ];
}

function printReport(report: Report): void {
  const auto = failed(report.training) ? '' : ` (auto picks ${report.training.auto ?? 'none'})`;
  say(
    [
      'versions',
      ...versionLines(report.versions),
      '',
      'inference: onnxruntime-node execution providers',
      ...inferenceLines(report.inference),
      '',
      `training: backends${auto}`,
      ...trainingLines(report.training),
      '',
      'machine',
      ...machineLines(report.machine),
      '',
      'data',
      ...dataLines(report.data),
    ].join('\n'),
  );
}

/** `cnnx doctor`: versions, execution providers, training backends, the machine and the data folders. */
export function register(program: Command, context: CliContext): void {
  program
    .command('doctor')
    .description('say what this machine can run: versions, execution providers, training backends, data')
    .option('--data-dir <dir>', 'a data folder to look in first, as train, evaluate and compare take it')
    .option('--json', 'print one JSON document on stdout (attach it to bug reports)')
    .addHelpText('after', '\nExamples:\n  $ cnnx doctor\n  $ cnnx doctor --json > doctor.json')
    .action(async (flags: { json?: boolean; dataDir?: string }) => {
      const report = await diagnose(context.version, flags.dataDir);
      if (flags.json) printJson(report);
      else printReport(report);
    });
}
