import { type Browser, chromium } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser (`.ci/run` installs it). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Launch flags for headless Debian Chromium kept off the network (FACTS.md), plus WebGPU on SwiftShader
 * when asked.
 *
 * @example
 * chromiumFlags(true).includes('--use-webgpu-adapter=swiftshader'); // → true
 */
export function chromiumFlags(webgpu = false): string[] {
  const flags = [
    '--headless=new',
    '--no-sandbox',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  if (webgpu) {
    flags.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader');
  }
  return flags;
}

/**
 * Starts Debian's Chromium headless through playwright-core (no browser download).
 *
 * @example
 * const browser = await launchChromium({ webgpu: true }); // navigator.gpu answers with SwiftShader
 */
export function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: chromiumFlags(options.webgpu),
  });
}
