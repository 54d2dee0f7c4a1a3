// End to end: the production build, served by scripts/serve.mjs on 127.0.0.1, in Debian's headless Chromium,
// with a real model. Draws digits as pointer strokes, uploads a PNG, compares with onnxruntime-node.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createRandom, loadDataset, prepareDigit } from '@cnnx/data';
import { Classifier } from '@cnnx/runtime';
import { launchChromium, PAPER_CONDITIONS, paperPhotoSet } from '@cnnx/testing';
import type { Browser, CDPSession, Page } from 'playwright-core';
import sharp from 'sharp';
import { MAX_UPLOAD_SIDE } from '../src/image.js';
import type { DemoState } from '../src/state.js';
import { buildDemo, REPO_DIR, saveArtifact, startServer, temporaryDir, testModel } from './helpers.js';
import { DIGIT_STROKES } from './strokes.js';

const run = promisify(execFile);
/** The `cnnx` command, built by `npm run build -w @cnnx/cli`. */
const CLI = join(REPO_DIR, 'packages', 'cli', 'dist', 'bin.js');

/** The targets on the 2-core machine with the wasm provider. */
const FIRST_PREDICTION_TARGET_MS = 2000;
const STROKE_LATENCY_TARGET_MS = 50;
/** Enforced limits: the targets with room for a machine shared by other jobs, unless CNNX_DEMO_STRICT_TIMING=1. */
const STRICT = process.env.CNNX_DEMO_STRICT_TIMING === '1';
const FIRST_PREDICTION_LIMIT_MS = STRICT ? FIRST_PREDICTION_TARGET_MS : 4 * FIRST_PREDICTION_TARGET_MS;
const STROKE_LATENCY_LIMIT_MS = STRICT ? STROKE_LATENCY_TARGET_MS : 4 * STROKE_LATENCY_TARGET_MS;

interface OpenPage {
  page: Page;
  problems: string[];
}

/** Opens the demo and collects console errors, uncaught exceptions and failed requests. */
async function openDemo(browser: Browser, url: string, touch = false): Promise<OpenPage> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    hasTouch: touch,
    isMobile: touch,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await page.goto(url);
  await page.waitForFunction(
    () => window.cnnxDemo?.firstPredictionMs != null || window.cnnxDemo?.error != null,
    null,
    {
      timeout: 60_000,
    },
  );
  return { page, problems };
}

function demoState(page: Page): Promise<DemoState> {
  return page.evaluate(() => window.cnnxDemo);
}

/** Draws a digit's strokes on the pad with the mouse (pointer events), pen up between strokes. */
async function drawDigit(page: Page, digit: string): Promise<void> {
  const strokes = DIGIT_STROKES[digit];
  assert.ok(strokes, `no strokes for ${digit}`);
  const box = await page.locator('#pad').boundingBox();
  assert.ok(box, 'the pad is not on screen');
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  for (const stroke of strokes) {
    const [first, ...rest] = stroke;
    if (!first) continue;
    await page.mouse.move(...at(first));
    await page.mouse.down();
    for (const point of rest) await page.mouse.move(...at(point), { steps: 2 });
    await page.mouse.up();
  }
}

/** Draws a digit with a finger (touch events) or a pen, through the DevTools protocol's input events. */
async function drawDigitWith(
  page: Page,
  client: CDPSession,
  digit: string,
  pointer: 'touch' | 'pen',
): Promise<void> {
  const strokes = DIGIT_STROKES[digit];
  assert.ok(strokes, `no strokes for ${digit}`);
  const box = await page.locator('#pad').boundingBox();
  assert.ok(box, 'the pad is not on screen');
  const at = ([x, y]: [number, number]) => ({ x: box.x + x * box.width, y: box.y + y * box.height });
  for (const stroke of strokes) {
    for (const [i, point] of stroke.entries()) {
      if (pointer === 'touch') {
        const type = i === 0 ? 'touchStart' : 'touchMove';
        await client.send('Input.dispatchTouchEvent', { type, touchPoints: [at(point)] });
      } else {
        const type = i === 0 ? 'mousePressed' : 'mouseMoved';
        await client.send('Input.dispatchMouseEvent', {
          type,
          ...at(point),
          button: 'left',
          buttons: 1,
          clickCount: 1,
          pointerType: 'pen',
        });
      }
    }
    const last = stroke[stroke.length - 1] ?? [0, 0];
    if (pointer === 'touch')
      await client.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    else {
      await client.send('Input.dispatchMouseEvent', {
        type: 'mouseReleased',
        ...at(last),
        button: 'left',
        buttons: 0,
        clickCount: 1,
        pointerType: 'pen',
      });
    }
  }
}

/** Waits until the page has shown a prediction for every stroke drawn so far. */
async function waitForStrokes(page: Page, count: number): Promise<void> {
  await page.waitForFunction((expected) => window.cnnxDemo.strokeLatenciesMs.length >= expected, count, {
    timeout: 30_000,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe('the demo in headless Chromium', () => {
  let url = '';
  let modelPath = '';
  let dist = '';
  let cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    const folder = await temporaryDir('cnnx-demo-e2e-');
    cleanup.push(folder.remove);
    const model = await testModel(folder.path);
    console.log(`model: ${model.origin}`);
    modelPath = model.path;
    dist = join(folder.path, 'dist');
    await buildDemo(dist, modelPath);
    const server = await startServer(dist, ['--model', modelPath]);
    cleanup.unshift(server.stop);
    url = server.url;
  });
  after(async () => {
    for (const step of cleanup) await step();
    cleanup = [];
  });

  describe('with the wasm provider (no WebGPU)', () => {
    let browser: Browser;
    let opened: OpenPage;
    let uploaded = null as { path: string; probabilities: number[] } | null; // set by the upload test
    before(async () => {
      browser = await launchChromium();
      opened = await openDemo(browser, url);
    });
    after(() => browser?.close());

    it('says wasm in the badge, and why WebGPU was skipped', async () => {
      const { page } = opened;
      const state = await demoState(page);
      assert.equal(state.error, null);
      assert.equal(state.provider, 'wasm');
      assert.equal(await page.locator('.badge-provider').textContent(), 'wasm');
      assert.ok(state.skipped.some((entry) => entry.device === 'webgpu' && entry.reason.length > 0));
      assert.match((await page.locator('.badge-skipped').textContent()) ?? '', /WebGPU skipped: \S/);
      assert.match((await page.locator('.badge-time').textContent()) ?? '', /last inference \d+(\.\d)? ms/);
    });

    it('runs the held-out gallery through the model', async () => {
      const { page } = opened;
      const state = await demoState(page);
      const served = JSON.parse(await readFile(join(dist, 'examples.json'), 'utf8')) as {
        examples: unknown[];
      };
      assert.equal(state.gallery.length, served.examples.length);
      assert.equal(await page.locator('#gallery .example').count(), served.examples.length);
      const correct = state.gallery.filter((entry) => entry.label === entry.predicted).length;
      assert.ok(correct / state.gallery.length >= 0.7, `only ${correct} of ${state.gallery.length} right`);
      assert.match(
        (await page.locator('#gallery-summary').textContent()) ?? '',
        new RegExp(`^${correct} of `),
      );
    });

    it('shows the first prediction soon after the page opens', async () => {
      const { firstPredictionMs } = await demoState(opened.page);
      assert.ok(firstPredictionMs !== null);
      console.log(
        `first prediction (wasm): ${firstPredictionMs.toFixed(0)} ms after navigation (target ≤ ${FIRST_PREDICTION_TARGET_MS} ms)`,
      );
      assert.ok(firstPredictionMs <= FIRST_PREDICTION_LIMIT_MS, `${firstPredictionMs} ms`);
    });

    it('reads digits drawn as pointer strokes, quickly', async () => {
      const { page } = opened;
      let strokes = 0;
      const misread: string[] = [];
      for (const [digit, digitStrokes] of Object.entries(DIGIT_STROKES)) {
        await page.keyboard.press('Escape');
        await drawDigit(page, digit);
        strokes += digitStrokes.length;
        await waitForStrokes(page, strokes);
        const label = await page.locator('#label').textContent();
        const state = await demoState(page);
        assert.equal(state.last?.source, 'pad');
        assert.equal(state.last?.pixels.length, 28 * 28);
        assert.equal(await page.locator('#bars .bar-row').count(), 10);
        assert.equal(await page.locator('#bars .is-top .bar-label').textContent(), label, 'the marked bar');
        if (label !== digit) misread.push(`${digit} read as ${label}`);
        if (digit === '3')
          await saveArtifact('demo-wasm-drawn-3.png', await page.screenshot({ fullPage: true }));
      }
      assert.deepEqual(misread, []);
      const latencies = (await demoState(page)).strokeLatenciesMs;
      const worst = Math.max(...latencies);
      console.log(
        `stroke end → prediction (wasm): median ${median(latencies).toFixed(1)} ms, worst ${worst.toFixed(1)} ms over ${latencies.length} strokes (target ≤ ${STROKE_LATENCY_TARGET_MS} ms)`,
      );
      assert.ok(median(latencies) <= STROKE_LATENCY_LIMIT_MS, `median ${median(latencies)} ms`);
    });

    it('reads digits drawn with a finger and with a pen', async () => {
      const { page, problems } = await openDemo(browser, url, true);
      const client = await page.context().newCDPSession(page);
      for (const [digit, pointer] of [
        ['1', 'pen'],
        ['7', 'touch'], // last: after a synthetic touch sequence Chromium holds other input back for seconds
      ] as const) {
        await page.keyboard.press('Escape');
        assert.equal(await page.locator('#label').textContent(), '–');
        const before = (await demoState(page)).strokeLatenciesMs.length;
        await drawDigitWith(page, client, digit, pointer);
        await waitForStrokes(page, before + (DIGIT_STROKES[digit]?.length ?? 1));
        const state = await demoState(page);
        assert.equal(state.lastPointerType, pointer);
        assert.equal(await page.locator('#label').textContent(), digit, `${digit} drawn with ${pointer}`);
      }
      assert.deepEqual(problems, []);
      await page.context().close();
    });

    it('undoes a stroke with Ctrl+Z and clears with Escape', async () => {
      const { page } = opened;
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('#label').textContent(), '–');
      const before = (await demoState(page)).strokeLatenciesMs.length;
      await drawDigit(page, '4'); // two strokes
      await waitForStrokes(page, before + 2);
      assert.equal(await page.locator('#label').textContent(), '4');
      assert.equal(await page.locator('#undo').isEnabled(), true);
      await page.keyboard.press('Control+z');
      await page.waitForFunction(() => window.cnnxDemo.last?.label !== '4');
      await page.locator('#undo').focus();
      await page.keyboard.press('Enter'); // the button works from the keyboard too
      await page.waitForFunction(() => window.cnnxDemo.last === null);
      assert.equal(await page.locator('#label').textContent(), '–');
      assert.equal(await page.locator('#undo').isDisabled(), true);
    });

    it('reads an uploaded dark-on-light PNG exactly as onnxruntime-node does', async () => {
      const { page } = opened;
      const served = JSON.parse(await readFile(join(dist, 'examples.json'), 'utf8')) as {
        examples: { label: number; pixels: string }[];
      };
      const node = await Classifier.load(modelPath, { device: 'cpu' });
      // A held-out digit as a scan would show it: dark ink on light paper, 4× bigger, with a margin.
      let chosen: { label: number; png: Buffer; probabilities: Float32Array; pixels: Uint8Array } | null =
        null;
      for (const example of served.examples) {
        const ink = Buffer.from(example.pixels, 'base64');
        const paper = Buffer.from(ink.map((value) => 255 - value));
        const png = await sharp(paper, { raw: { width: 28, height: 28, channels: 1 } })
          .resize(112, 112, { kernel: 'cubic' })
          .extend({ top: 24, bottom: 24, left: 40, right: 40, background: '#ffffff' })
          .toColourspace('b-w')
          .png()
          .toBuffer();
        const prepared = await prepareDigit(png);
        const probabilities = await node.probabilities(prepared.pixels, 1);
        const best = probabilities.indexOf(Math.max(...probabilities));
        if (best === example.label && example.label !== 1) {
          chosen = { label: example.label, png, probabilities, pixels: prepared.pixels };
          break;
        }
      }
      await node.release();
      assert.ok(chosen, 'onnxruntime-node reads none of the held-out digits right');
      const path = await saveArtifact(`demo-upload-${chosen.label}.png`, chosen.png);
      await page.setInputFiles('#upload', path);
      await page.waitForFunction(() => window.cnnxDemo.last?.source === 'upload');
      assert.equal(await page.locator('#label').textContent(), String(chosen.label));
      const shown = (await demoState(page)).last;
      assert.ok(shown);
      assert.deepEqual(
        shown.pixels,
        Array.from(chosen.pixels),
        'the page prepared other 28×28 pixels than Node',
      );
      const worst = Math.max(
        ...shown.probabilities.map((p, i) => Math.abs(p - (chosen.probabilities[i] ?? Number.NaN))),
      );
      console.log(
        `upload of a ${chosen.label}: page vs onnxruntime-node max |Δp| = ${worst.toExponential(2)}`,
      );
      assert.ok(worst <= 1e-5, `max |Δp| ${worst}`);
      uploaded = { path, probabilities: shown.probabilities };
      await saveArtifact('demo-wasm.png', await page.screenshot({ fullPage: true }));
    });

    it('gives the same probabilities as cnnx predict for the uploaded PNG', {
      skip: existsSync(CLI) ? false : `the cnnx CLI is not built (${CLI}); npm run build -w @cnnx/cli`,
    }, async () => {
      assert.ok(uploaded, 'the upload test did not run');
      const { stdout } = await run(
        process.execPath,
        [CLI, 'predict', '--model', modelPath, '--device', 'cpu', '--top', '10', '--json', uploaded.path],
        { timeout: 60_000 },
      );
      const [result] = JSON.parse(stdout) as { top: { index: number; probability: number }[] }[];
      assert.ok(result && result.top.length === uploaded.probabilities.length);
      for (const { index, probability } of result.top) {
        const page = uploaded.probabilities[index] ?? Number.NaN;
        assert.ok(
          Math.abs(page - probability) <= 1e-5,
          `class ${index}: page ${page}, cnnx predict ${probability}`,
        );
      }
    });

    it('prepares uploaded photos of paper (ruled, pencil under a shadow, squared askew, plain) as cnnx predict does', async () => {
      const { page } = opened;
      const node = await Classifier.load(modelPath, { device: 'cpu' });
      // one photo per condition, of four different digits
      const set = await paperPhotoSet({
        heldOut: await loadDataset('mnist-sample', { split: 'test' }),
        random: createRandom(5),
        perCondition: 10,
      });
      const photos = [2, 4, 7, 9].map((label, k) =>
        set.find((photo) => photo.condition === PAPER_CONDITIONS[k] && photo.label === label),
      );
      for (const photo of photos) {
        assert.ok(photo);
        // at the working size, as PNG: the browser and sharp then decode the same RGB values
        const png = await sharp(photo.jpeg)
          .resize({ width: MAX_UPLOAD_SIDE, height: MAX_UPLOAD_SIDE, fit: 'inside' })
          .png()
          .toBuffer();
        const prepared = await prepareDigit(png);
        const probabilities = await node.probabilities(prepared.pixels, 1);
        const path = await saveArtifact(`demo-paper-${photo.condition}.png`, png);
        await page.evaluate(() => {
          window.cnnxDemo.last = null;
        });
        await page.setInputFiles('#upload', path);
        await page.waitForFunction(() => window.cnnxDemo.last?.source === 'upload');
        const shown = (await demoState(page)).last;
        assert.ok(shown, photo.condition);
        assert.deepEqual(
          shown.pixels,
          Array.from(prepared.pixels),
          `${photo.condition}: other 28×28 pixels than Node`,
        );
        const worst = Math.max(
          ...shown.probabilities.map((p, i) => Math.abs(p - (probabilities[i] ?? Number.NaN))),
        );
        assert.ok(worst <= 1e-5, `${photo.condition}: max |Δp| ${worst}`);
        console.log(`upload of a ${photo.label} on ${photo.condition} paper: read as ${shown.label}`);
        await saveArtifact(
          `demo-paper-${photo.condition}-page.png`,
          await page.screenshot({ fullPage: true }),
        );
      }
      await node.release();
    });

    it('logged no console error and no failed request', () => {
      assert.deepEqual(opened.problems, []);
    });
  });

  describe('with WebGPU (SwiftShader)', () => {
    let browser: Browser;
    let opened: OpenPage;
    before(async () => {
      browser = await launchChromium({ webgpu: true });
      opened = await openDemo(browser, url);
    });
    after(() => browser?.close());

    it('says WebGPU in the badge and reads a drawn digit', async () => {
      const { page } = opened;
      const state = await demoState(page);
      assert.equal(state.error, null);
      assert.equal(state.provider, 'webgpu');
      assert.equal(await page.locator('.badge-provider').textContent(), 'WebGPU');
      await drawDigit(page, '7');
      await waitForStrokes(page, DIGIT_STROKES['7']?.length ?? 1);
      assert.equal(await page.locator('#label').textContent(), '7');
      await saveArtifact('demo-webgpu.png', await page.screenshot({ fullPage: true }));
    });

    it('computes on WebGPU what onnxruntime-node computes on the CPU', async () => {
      const shown = (await demoState(opened.page)).last;
      assert.ok(shown, 'no prediction on screen');
      const node = await Classifier.load(modelPath, { device: 'cpu' });
      const expected = await node.probabilities(Uint8Array.from(shown.pixels), 1);
      await node.release();
      const worst = Math.max(...shown.probabilities.map((p, i) => Math.abs(p - (expected[i] ?? Number.NaN))));
      console.log(`drawn 7: WebGPU (SwiftShader) vs onnxruntime-node max |Δp| = ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-5, `max |Δp| ${worst}`);
    });

    it('logged no console error and no failed request', () => {
      assert.deepEqual(opened.problems, []);
    });
  });
});
