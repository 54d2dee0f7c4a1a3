// The page's state as `window.cnnxDemo` exposes it (for debugging and the end-to-end test); types only.

/** One prediction the page showed, kept for people (and tests) inspecting the page. */
export interface ShownPrediction {
  source: 'pad' | 'upload';
  /** The 28×28 pixels the model saw, 0-255. */
  pixels: number[];
  probabilities: number[];
  label: string;
  inferenceMs: number;
}

/** What the page exposes as `window.cnnxDemo`: its state, for debugging and the end-to-end test. */
export interface DemoState {
  ready: boolean;
  provider: string | null;
  skipped: { device: string; reason: string }[];
  /** Milliseconds from navigation start to the first prediction on screen. */
  firstPredictionMs: number | null;
  /** Milliseconds from each stroke's end to its prediction on screen. */
  strokeLatenciesMs: number[];
  /** What drew the last stroke: `mouse`, `touch` or `pen`. */
  lastPointerType: string | null;
  last: ShownPrediction | null;
  gallery: { label: number; predicted: number }[];
  error: string | null;
}

declare global {
  interface Window {
    cnnxDemo: DemoState;
  }
}
