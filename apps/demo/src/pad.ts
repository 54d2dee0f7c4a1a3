/** A point on the pad, in the canvas's own pixel coordinates. */
export interface PadPoint {
  x: number;
  y: number;
}

/** What the pad tells its owner. */
export interface DrawingPadEvents {
  /** Called (often) while a stroke is being drawn. */
  onDraw?: () => void;
  /** Called once when a stroke ends, after its last segment is painted, with what drew it. */
  onStrokeEnd?: (pointerType: string) => void;
  /** Called after undo or clear repainted the pad. */
  onChange?: () => void;
}

/**
 * The share of the pad's width that one brush stroke covers. MNIST strokes are about 2.5 pixels wide on the
 * 28-pixel canvas, so a stroke on the pad is 2.5/28 of its width.
 */
export const BRUSH_FRACTION = 2.5 / 28;

const INK = '#ffffff';
const PAPER = '#000000';

/**
 * A canvas you draw digits on with a mouse, finger or pen (pointer events), with undo and clear.
 * It paints white ink on black paper, like MNIST, and keeps the strokes so undo can repaint.
 *
 * @example
 * const pad = new DrawingPad(canvas, { onStrokeEnd: () => predict(pad.imageData()) });
 * pad.undo(); // removes the last stroke
 */
export class DrawingPad {
  readonly canvas: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D;
  private readonly strokes: PadPoint[][] = [];
  private current: PadPoint[] | null = null;
  private activePointer: number | null = null;

  constructor(
    canvas: HTMLCanvasElement,
    private readonly events: DrawingPadEvents = {},
  ) {
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) throw new TypeError("'canvas' has no 2d context");
    this.canvas = canvas;
    this.context = context;
    canvas.style.touchAction = 'none';
    canvas.addEventListener('pointerdown', (event) => this.start(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    canvas.addEventListener('pointerup', (event) => this.end(event));
    canvas.addEventListener('pointercancel', (event) => this.end(event));
    this.repaint();
  }

  /** The brush width in canvas pixels. */
  get brushWidth(): number {
    return this.canvas.width * BRUSH_FRACTION;
  }

  /** How many strokes are on the pad. */
  get strokeCount(): number {
    return this.strokes.length;
  }

  /** Whether nothing is drawn. */
  get isEmpty(): boolean {
    return this.strokes.length === 0 && this.current === null;
  }

  /** Removes the last stroke. Returns whether there was one. */
  undo(): boolean {
    if (this.strokes.pop() === undefined) return false;
    this.repaint();
    this.events.onChange?.();
    return true;
  }

  /** Removes every stroke. */
  clear(): void {
    this.strokes.length = 0;
    this.current = null;
    this.activePointer = null;
    this.repaint();
    this.events.onChange?.();
  }

  /** Paints an image (an uploaded file) over the whole pad, replacing the strokes. */
  showImage(image: CanvasImageSource, width: number, height: number): void {
    this.strokes.length = 0;
    this.repaint();
    const scale = Math.min(this.canvas.width / width, this.canvas.height / height);
    const drawnWidth = width * scale;
    const drawnHeight = height * scale;
    this.context.drawImage(
      image,
      (this.canvas.width - drawnWidth) / 2,
      (this.canvas.height - drawnHeight) / 2,
      drawnWidth,
      drawnHeight,
    );
  }

  /** The pad's pixels. */
  imageData(): ImageData {
    return this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  private toCanvas(event: PointerEvent): PadPoint {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  private start(event: PointerEvent): void {
    if (this.activePointer !== null || (event.pointerType === 'mouse' && event.button !== 0)) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.activePointer = event.pointerId;
    const point = this.toCanvas(event);
    this.current = [point];
    this.paintSegment(point, point);
    this.events.onDraw?.();
  }

  private move(event: PointerEvent): void {
    if (event.pointerId !== this.activePointer || this.current === null) return;
    event.preventDefault();
    const samples = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    for (const sample of samples.length > 0 ? samples : [event]) {
      const point = this.toCanvas(sample);
      const previous = this.current[this.current.length - 1] ?? point;
      this.current.push(point);
      this.paintSegment(previous, point);
    }
    this.events.onDraw?.();
  }

  private end(event: PointerEvent): void {
    if (event.pointerId !== this.activePointer || this.current === null) return;
    this.strokes.push(this.current);
    this.current = null;
    this.activePointer = null;
    this.events.onStrokeEnd?.(event.pointerType);
  }

  private paintSegment(from: PadPoint, to: PadPoint): void {
    const context = this.context;
    context.strokeStyle = INK;
    context.lineWidth = this.brushWidth;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
  }

  private repaint(): void {
    this.context.fillStyle = PAPER;
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    for (const stroke of this.strokes) {
      const first = stroke[0];
      if (first === undefined) continue;
      this.context.strokeStyle = INK;
      this.context.lineWidth = this.brushWidth;
      this.context.lineCap = 'round';
      this.context.lineJoin = 'round';
      this.context.beginPath();
      this.context.moveTo(first.x, first.y);
      for (const point of stroke) this.context.lineTo(point.x, point.y);
      if (stroke.length === 1) this.context.lineTo(first.x + 0.01, first.y);
      this.context.stroke();
    }
  }
}
