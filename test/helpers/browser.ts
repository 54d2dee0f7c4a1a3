import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium, headless, kept off the network (FACTS.md); WebGPU runs on SwiftShader when asked. */
const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
];

/**
 * Starts Debian's `/usr/bin/chromium` headless through playwright-core (no browser download).
 *
 * @example
 * const browser = await launchChromium({ webgpu: true }); // navigator.gpu answers with SwiftShader
 */
export function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(options.webgpu ? WEBGPU_FLAGS : [])],
  });
}
