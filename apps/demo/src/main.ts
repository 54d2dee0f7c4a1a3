import './styles.css';
import { type PageImage, prepareDigitImage } from '@cnnx/data';
import { Classifier } from '@cnnx/runtime';
import { decodeImageFile, grayOf } from './image.js';
import { DrawingPad } from './pad.js';
import { debounce, latestOnly } from './scheduler.js';
import type { DemoState, ShownPrediction } from './state.js';
import { createBars, paintPixels, percent, topClass, updateBars } from './view.js';

const state: DemoState = {
  ready: false,
  provider: null,
  skipped: [],
  firstPredictionMs: null,
  strokeLatenciesMs: [],
  lastPointerType: null,
  last: null,
  gallery: [],
  error: null,
};
window.cnnxDemo = state;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new TypeError(`the page has no element #${id}`);
  return found as T;
}

const ui = {
  pad: element<HTMLCanvasElement>('pad'),
  dropZone: element<HTMLElement>('drop-zone'),
  undo: element<HTMLButtonElement>('undo'),
  clear: element<HTMLButtonElement>('clear'),
  upload: element<HTMLInputElement>('upload'),
  error: element<HTMLElement>('error'),
  label: element<HTMLOutputElement>('label'),
  confidence: element<HTMLElement>('confidence'),
  preview: element<HTMLCanvasElement>('preview'),
  bars: element<HTMLOListElement>('bars'),
  badge: element<HTMLElement>('badge'),
  gallery: element<HTMLUListElement>('gallery'),
  gallerySummary: element<HTMLElement>('gallery-summary'),
};

const PROVIDER_NAMES: Record<string, string> = { webgpu: 'WebGPU', wasm: 'wasm', cpu: 'wasm' };

function showError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  state.error = message;
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function clearError(): void {
  state.error = null;
  ui.error.hidden = true;
}

function showInferenceTime(milliseconds: number): void {
  const time = ui.badge.querySelector<HTMLElement>('.badge-time');
  if (time) time.textContent = `last inference ${milliseconds.toFixed(1)} ms`;
}

function noteFirstPrediction(): void {
  if (state.firstPredictionMs !== null) return;
  state.firstPredictionMs = performance.now();
  performance.mark('cnnx:first-prediction');
}

function showPrediction(
  classifier: Classifier,
  source: ShownPrediction['source'],
  pixels: Uint8Array,
  probabilities: Float32Array,
  inferenceMs: number,
): void {
  const { index, probability } = topClass(probabilities);
  const label = classifier.info.classNames[index] ?? String(index);
  ui.label.textContent = label;
  ui.label.dataset.index = String(index);
  ui.confidence.textContent = `${percent(probability)} sure`;
  updateBars(ui.bars, probabilities);
  paintPixels(ui.preview, pixels, 28, 28);
  showInferenceTime(inferenceMs);
  state.last = {
    source,
    pixels: Array.from(pixels),
    probabilities: Array.from(probabilities),
    label,
    inferenceMs,
  };
  noteFirstPrediction();
}

function showNothing(): void {
  ui.label.textContent = '–';
  delete ui.label.dataset.index;
  ui.confidence.textContent = '';
  updateBars(ui.bars, null);
  paintPixels(ui.preview, new Uint8Array(28 * 28), 28, 28);
  state.last = null;
}

/** Prepares an image as `cnnx predict` does (the same @cnnx/data code) and shows what the model makes of it. */
async function classifyImage(
  classifier: Classifier,
  image: PageImage,
  source: ShownPrediction['source'],
  polarity: 'auto' | 'light-on-dark',
): Promise<boolean> {
  const prepared = prepareDigitImage(image, { polarity });
  if (prepared.box === null) return false;
  const started = performance.now();
  const probabilities = await classifier.probabilities(prepared.pixels, 1);
  showPrediction(classifier, source, prepared.pixels, probabilities, performance.now() - started);
  return true;
}

interface GalleryFile {
  classNames: string[];
  source: string;
  examples: { label: number; pixels: string }[];
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/** Fetches the held-out examples served with the model; `null` when there are none. */
async function fetchGallery(): Promise<GalleryFile | null> {
  const response = await fetch('examples.json');
  if (!response.ok) return null;
  return (await response.json()) as GalleryFile;
}

async function showGallery(classifier: Classifier, file: GalleryFile | null): Promise<void> {
  if (file === null) {
    ui.gallerySummary.textContent = 'No held-out examples were served with this model.';
    return;
  }
  const images = file.examples.map((example) => decodeBase64(example.pixels));
  const batch = new Uint8Array(images.length * 28 * 28);
  images.forEach((pixels, i) => {
    batch.set(pixels, i * 28 * 28);
  });
  const started = performance.now();
  const probabilities = await classifier.probabilities(batch, images.length);
  showInferenceTime(performance.now() - started);
  const classes = probabilities.length / images.length;
  let correct = 0;
  const items = file.examples.map((example, i) => {
    const { index, probability } = topClass(probabilities.subarray(i * classes, (i + 1) * classes));
    const expected = file.classNames[example.label] ?? String(example.label);
    const predicted = classifier.info.classNames[index] ?? String(index);
    const right = index === example.label;
    if (right) correct++;
    state.gallery.push({ label: example.label, predicted: index });
    const item = document.createElement('li');
    item.className = right ? 'example right' : 'example wrong';
    const canvas = document.createElement('canvas');
    canvas.className = 'example-image';
    paintPixels(canvas, images[i] ?? new Uint8Array(784), 28, 28);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `A held-out ${expected}`);
    const caption = document.createElement('span');
    caption.className = 'example-caption';
    caption.textContent = `${right ? '✓' : '✗'} ${predicted} · ${percent(probability)}`;
    caption.title = `labelled ${expected}, predicted ${predicted}`;
    item.append(canvas, caption);
    return item;
  });
  ui.gallery.replaceChildren(...items);
  ui.gallerySummary.textContent = `${correct} of ${items.length} held-out ${file.source} digits classified correctly.`;
  noteFirstPrediction();
}

function showProvider(classifier: Classifier): void {
  const provider = classifier.info.provider;
  state.provider = provider;
  state.skipped = classifier.info.skipped;
  const name = ui.badge.querySelector<HTMLElement>('.badge-provider');
  if (name) {
    name.textContent = PROVIDER_NAMES[provider] ?? provider;
    name.dataset.provider = provider;
  }
  const skipped = ui.badge.querySelector<HTMLElement>('.badge-skipped');
  if (skipped) {
    skipped.textContent = classifier.info.skipped
      .map(({ device, reason }) => `${PROVIDER_NAMES[device] ?? device} skipped: ${reason}`)
      .join(' · ');
  }
}

function requestedDevice(): 'auto' | 'webgpu' | 'wasm' {
  const device = new URLSearchParams(location.search).get('device') ?? 'auto';
  if (device === 'auto' || device === 'webgpu' || device === 'wasm') return device;
  throw new RangeError(`?device=${device} is not a device; expected auto, webgpu or wasm`);
}

/** `?threads=N` sets onnxruntime-web's wasm threads; unset, the runtime picks (threads need cross-origin isolation). */
function requestedThreads(): number | undefined {
  const text = new URLSearchParams(location.search).get('threads');
  if (text === null) return undefined;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1 || threads > 16) {
    throw new RangeError(`?threads=${text} is not a thread count; expected an integer from 1 to 16`);
  }
  return threads;
}

async function start(): Promise<void> {
  showNothing();
  // Fetched while the model loads.
  const gallery = fetchGallery().catch((error: unknown) => {
    throw new Error(`the held-out examples (examples.json) could not be read: ${String(error)}`);
  });
  gallery.catch(() => {}); // reported when awaited below
  const classifier = await Classifier.load('model.onnx', {
    device: requestedDevice(),
    threads: requestedThreads(),
    // onnxruntime-web's .wasm files, copied into dist/ort/ at build time and served by the app.
    wasmPaths: new URL('ort/', location.href).href,
  });
  performance.mark('cnnx:model-loaded');
  createBars(ui.bars, classifier.info.classNames);
  showProvider(classifier);

  let strokeEndedAt: number | null = null;
  const predictPad = latestOnly(
    async () => {
      const endedAt = strokeEndedAt;
      strokeEndedAt = null;
      if (pad.isEmpty) {
        showNothing();
        return;
      }
      const { gray, width, height } = grayOf(pad.imageData());
      const image = { pixels: gray, width, height, channels: 1 } as const;
      const shown = await classifyImage(classifier, image, 'pad', 'light-on-dark');
      if (!shown) showNothing();
      if (endedAt !== null) state.strokeLatenciesMs.push(performance.now() - endedAt);
      clearError();
    },
    (error) => showError(error),
  );
  const predictWhileDrawing = debounce(predictPad, 60);

  const syncButtons = () => {
    ui.undo.disabled = pad.strokeCount === 0;
    ui.clear.disabled = pad.isEmpty;
  };
  const pad = new DrawingPad(ui.pad, {
    onDraw: () => {
      predictWhileDrawing();
      ui.clear.disabled = false;
    },
    onStrokeEnd: (pointerType) => {
      state.lastPointerType = pointerType;
      predictWhileDrawing.cancel();
      strokeEndedAt = performance.now();
      predictPad();
      syncButtons();
    },
    onChange: () => {
      predictPad();
      syncButtons();
    },
  });

  ui.undo.addEventListener('click', () => pad.undo());
  ui.clear.addEventListener('click', () => pad.clear());
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') {
      event.preventDefault();
      pad.undo();
    } else if (event.key === 'Escape') {
      pad.clear();
    }
  });

  const classifyFile = async (file: File) => {
    try {
      const { image, bitmap } = await decodeImageFile(file);
      pad.showImage(bitmap, bitmap.width, bitmap.height);
      bitmap.close();
      syncButtons();
      ui.clear.disabled = false;
      const shown = await classifyImage(classifier, image, 'upload', 'auto');
      if (!shown) {
        showNothing();
        throw new RangeError(`${file.name} holds no digit: every pixel is the same shade`);
      }
      clearError();
    } catch (error) {
      showError(error);
    }
  };
  ui.upload.addEventListener('change', () => {
    const file = ui.upload.files?.[0];
    if (file) void classifyFile(file);
    ui.upload.value = '';
  });
  ui.dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.dropZone.classList.add('dragging');
  });
  ui.dropZone.addEventListener('dragleave', () => ui.dropZone.classList.remove('dragging'));
  ui.dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.dropZone.classList.remove('dragging');
    const file = event.dataTransfer?.files[0];
    if (file) void classifyFile(file);
  });

  state.ready = true;
  document.body.dataset.ready = 'true';
  await showGallery(classifier, await gallery);
}

start().catch((error: unknown) => {
  showError(error);
  const name = ui.badge.querySelector<HTMLElement>('.badge-provider');
  if (name) name.textContent = 'model failed to load';
});
