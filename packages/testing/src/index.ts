export { CHROMIUM_PATH, chromiumFlags, launchChromium } from './chromium.js';
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
export { type OpenedPage, openHtmlFile, type PageImage } from './report-page.js';
