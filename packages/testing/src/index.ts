export { CHROMIUM_PATH, chromiumFlags, launchChromium } from './chromium.js';
export { type OpenedPage, openHtmlFile, type PageImage } from './report-page.js';
