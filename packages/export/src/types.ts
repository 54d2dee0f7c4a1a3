/** How the exporter lays out a 4-D image input. */
export type InputLayout = 'nhwc' | 'nchw';
/** Weight compression: fp16 weights, or int8 static QDQ quantization. */
export type QuantizeMode = 'fp16' | 'int8';

/** The value range a tensor takes on calibration data (for int8 activations). */
export interface TensorRange {
  min: number;
  max: number;
}

/** Options of the pure converter ({@link convertToOnnx}). */
export interface ConvertOptions {
  /** ONNX opset, 13-21; default 17. */
  opset?: number;
  /** `nhwc` (default: the tensor tfjs takes, one Transpose inside) or `nchw` (no Transpose). */
  inputLayout?: InputLayout;
  quantize?: QuantizeMode;
  /** Activation ranges by ONNX value name, required for `int8` (see `exportToOnnx`, which measures them). */
  calibrationRanges?: Map<string, TensorRange>;
  /** Written as `cnnx.class_names`. */
  classNames?: string[];
  /** Written as `cnnx.input_scale`: `unit` (default), `none` or `standard:MEAN:STD`. */
  inputScale?: string;
  /** Written as `cnnx.run_id`. */
  runId?: string;
}

/** Options of {@link exportToOnnx}. */
export interface ExportOptions extends Omit<ConvertOptions, 'calibrationRanges'> {
  /** int8 calibration images, already scaled as the model's input, `n × (model input size)` floats. */
  calibration?: Float32Array;
  /** How activation ranges are read from calibration data: `minmax` (default) or `percentile` (99.999%). */
  calibrationMethod?: 'minmax' | 'percentile';
}

/** A graph input or output as `readOnnx` reports it. */
export interface OnnxValueInfo {
  name: string;
  type: string;
  shape: (number | string)[];
}

/** What {@link readOnnx} tells about an ONNX file. */
export interface OnnxModelInfo {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  metadata: Record<string, string>;
  /** Operator type → how many nodes use it, sorted by name. */
  operators: Record<string, number>;
  nodeCount: number;
  initializerCount: number;
  /** Number of weight values (initializer elements). */
  parameterCount: number;
  /** Initializer element types → count of initializers. */
  initializerTypes: Record<string, number>;
}
