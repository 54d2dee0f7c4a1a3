export { CHROMIUM_PATH, chromiumFlags, launchChromium } from './chromium.js';
export {
  type ErrorClass,
  FUZZ_MAX_RSS,
  FUZZ_MS,
  FUZZ_SEED,
  fuzzParameters,
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
