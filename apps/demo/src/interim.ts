// TEMPORARY: stands in for @cnnx/runtime's and @cnnx/data's browser entries until they land; deleted then.
import * as ort from 'onnxruntime-web';

export interface ClassifierLike {
  info: { provider: string; skipped: { device: string; reason: string }[]; classNames: string[] };
  probabilities(pixels: Uint8Array | Float32Array, count: number): Promise<Float32Array>;
}

export async function loadClassifier(
  url: string,
  device: string,
  wasmPaths: string,
): Promise<ClassifierLike> {
  ort.env.wasm.wasmPaths = wasmPaths;
  const skipped: { device: string; reason: string }[] = [];
  let provider = 'wasm';
  let session: ort.InferenceSession | undefined;
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  performance.mark('cnnx:model-fetched');
  if (device !== 'wasm') {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    const adapter = gpu ? await gpu.requestAdapter() : null;
    if (!gpu) skipped.push({ device: 'webgpu', reason: 'navigator.gpu is missing' });
    else if (!adapter) skipped.push({ device: 'webgpu', reason: 'no WebGPU adapter' });
    else {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
      provider = 'webgpu';
    }
  }
  session ??= await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const s = session;
  performance.mark('cnnx:session-created');
  const inputName = s.inputNames[0] ?? 'input';
  return {
    info: { provider, skipped, classNames: Array.from({ length: 10 }, (_, i) => String(i)) },
    async probabilities(pixels, count) {
      const data = Float32Array.from(pixels, (v) => v / 255);
      const out = await s.run({ [inputName]: new ort.Tensor('float32', data, [count, 28, 28, 1]) });
      const first = Object.values(out)[0];
      return first!.data as Float32Array;
    },
  };
}
