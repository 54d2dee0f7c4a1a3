export { CHROMIUM_PATH, chromiumFlags, launchChromium } from './chromium.js';
export {
  assertFuzz,
  type ErrorClass,
  FUZZ_MAX_RSS,
  FUZZ_MS,
  FUZZ_SEED,
  mutatedBytes,
  resultOrAllowed,
} from './fuzz.js';
export {
  KERAS_FIXTURES,
  kerasFixturesDir,
  kerasReferenceForward,
  kerasReferenceUnavailable,
} from './keras.js';
export {
  hdf5Bytes,
  type Json,
  type KerasZip,
  keras2Layer,
  keras2Node,
  keras3Layer,
  keras3Node,
  keras3Object,
  kerasZip,
  type LegacyFile,
  legacyH5,
  positiveWeight,
  randomWeight,
  type TestWeight,
} from './keras-files.js';
export {
  drawPaperPhoto,
  PAPER_CONDITION_TITLES,
  PAPER_CONDITIONS,
  type PaperCondition,
  type PaperPhoto,
  paperPhotoSet,
  type Random,
  type RgbImage,
} from './paper-photos.js';
export { type OpenedPage, openHtmlFile, type PageImage } from './report-page.js';
export { RESIDUAL_SPEC_FILE } from './specs.js';
