/** The one place that looks at the browser environment (WebGPU, cross-origin isolation, cores). */

/** What the page offers onnxruntime-web. */
export interface BrowserEnvironment {
  /** `navigator.gpu` exists (an adapter may still be refused). */
  readonly webgpu: boolean;
  /** The page is cross-origin isolated, so wasm threads (SharedArrayBuffer) are available. */
  readonly crossOriginIsolated: boolean;
  /** `navigator.hardwareConcurrency`, or 1. */
  readonly cores: number;
}

interface NavigatorWithGpu {
  gpu?: { requestAdapter(): Promise<unknown | null> };
  hardwareConcurrency?: number;
}

function navigatorOf(): NavigatorWithGpu | undefined {
  return (globalThis as { navigator?: NavigatorWithGpu }).navigator;
}

/**
 * Reads the environment once per call (cheap; frozen).
 *
 * @example
 * browserEnvironment(); // → { webgpu: true, crossOriginIsolated: false, cores: 8 }
 */
export function browserEnvironment(): BrowserEnvironment {
  const navigator = navigatorOf();
  return Object.freeze({
    webgpu: typeof navigator?.gpu?.requestAdapter === 'function',
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    cores: navigator?.hardwareConcurrency ?? 1,
  });
}

/**
 * Why WebGPU cannot run here, or null when an adapter is granted.
 *
 * @example
 * await webgpuUnavailableReason(); // → 'navigator.gpu is missing (this browser has no WebGPU, or it is disabled)'
 */
export async function webgpuUnavailableReason(): Promise<string | null> {
  const gpu = navigatorOf()?.gpu;
  if (!gpu || typeof gpu.requestAdapter !== 'function') {
    return 'navigator.gpu is missing (this browser has no WebGPU, or it is disabled)';
  }
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? null : 'navigator.gpu.requestAdapter() gave no adapter';
  } catch (error) {
    return `navigator.gpu.requestAdapter() failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
