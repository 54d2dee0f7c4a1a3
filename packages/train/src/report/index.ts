export {
  classificationReportChart,
  confusionMatrixChart,
  curveChart,
  type GridTile,
  imageGridChart,
  labelDistributionChart,
} from './charts.js';
export {
  COMPARISON_COLUMNS,
  type ComparisonRow,
  formatComparisonTable,
  formatNotebookTable,
  notebookRows,
  writeComparisonReport,
} from './comparison-report.js';
export { escapeHtml, type PageContent, renderPage } from './html.js';
export { imageDataUri, pixelsDataUri } from './images.js';
export { type PredictionItem, writePredictionReport } from './prediction-report.js';
export { renderSvg, svgToPng, writeAtomic } from './render.js';
export type * from './types.js';
export { writeReport } from './write-report.js';
