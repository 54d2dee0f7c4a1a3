/** Precision, recall, F1 and support of one class, as scikit-learn's `classification_report` gives them. */
export interface ClassMetrics {
  /** The class name. */
  label: string;
  /** Of the images predicted as this class, the fraction that were this class (0 when none were predicted). */
  precision: number;
  /** Of the images of this class, the fraction predicted as this class (0 when the class has no images). */
  recall: number;
  /** Harmonic mean of precision and recall, `2·tp / (2·tp + fp + fn)` (0 when that denominator is 0). */
  f1: number;
  /** How many images truly belong to this class. */
  support: number;
}

/** An average of per-class precision, recall and F1. */
export interface AverageMetrics {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Everything `cnnx evaluate` reports about one set of predictions. The definitions are scikit-learn's:
 * `log_loss`, `accuracy_score`, `top_k_accuracy_score(k=3)`, `confusion_matrix` and
 * `classification_report(labels=range(classes), zero_division="warn")`.
 */
export interface EvaluationMetrics {
  /** Number of images evaluated. */
  count: number;
  /** Mean cross-entropy of the true class, scikit-learn's `log_loss` (clipped and renormalised). */
  loss: number;
  /** Fraction of images whose most probable class is the true one. */
  accuracy: number;
  /** Fraction of images whose true class is among the three most probable. */
  top3Accuracy: number;
  /** `confusionMatrix[true][predicted]` counts, classes × classes. */
  confusionMatrix: number[][];
  /** One entry per class, in class-index order (every class, including those with no support). */
  perClass: ClassMetrics[];
  /** Unweighted mean over classes. */
  macroAvg: AverageMetrics;
  /** Mean over classes weighted by support. */
  weightedAvg: AverageMetrics;
}
