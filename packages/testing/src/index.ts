export { CHROMIUM_PATH, chromiumFlags, launchChromium } from './chromium.js';
export {
  drawPaperPhoto,
  PAPER_CONDITION_TITLES,
  PAPER_CONDITIONS,
  type PaperCondition,
  type PaperPhoto,
  paperPhotoSet,
  type RgbImage,
} from './paper-photos.js';
export { type OpenedPage, openHtmlFile, type PageImage } from './report-page.js';
