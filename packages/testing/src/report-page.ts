import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';

/** One `<img>` of a page as the browser decoded it. */
export interface PageImage {
  alt: string;
  complete: boolean;
  width: number;
  height: number;
}

/** A local HTML file opened in the browser: its images and everything that went wrong while loading. */
export interface OpenedPage {
  page: Page;
  images: PageImage[];
  /** Console errors, page errors and failed requests, in the order they came. */
  problems: string[];
}

/**
 * Opens a local HTML file (a written report) in a new page of `browser`, waits for `load`, and collects its
 * images and what went wrong. The caller closes the browser.
 *
 * @example
 * const { images, problems } = await openHtmlFile(browser, 'runs/quickstart/report.html');
 * assert.deepEqual(problems, []);
 */
export async function openHtmlFile(browser: Browser, file: string): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url().slice(0, 80)}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const images = await page.$$eval('img', (elements) =>
    elements.map((element) => ({
      alt: element.alt,
      complete: element.complete,
      width: element.naturalWidth,
      height: element.naturalHeight,
    })),
  );
  return { page, images, problems };
}
