export { CHROMIUM_PATH, chromiumFlags, launchChromium } from './chromium.js';
export {
  KERAS_FIXTURES,
  kerasFixturesDir,
  kerasReferenceForward,
  kerasReferenceUnavailable,
} from './keras.js';
export { type OpenedPage, openHtmlFile, type PageImage } from './report-page.js';
