/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * escapeHtml('<b> & "x"'); // '&lt;b&gt; &amp; &quot;x&quot;'
 */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** What one report page shows. */
export interface PageContent {
  title: string;
  summary: [string, string][];
  /** The classification report as scikit-learn prints it (shown in a `<pre>`). */
  reportText?: string;
  /** Figures as data URIs, so the page has no outside references. */
  figures: { title: string; name: string; dataUri: string }[];
  /** Extra HTML sections, already escaped. */
  sections?: string[];
}

const STYLE = `
body { font-family: system-ui, 'DejaVu Sans', sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table.summary td, table.summary th { padding: 0.2rem 0.8rem; text-align: left; border-bottom: 1px solid #ddd; }
pre { background: #f6f8fa; padding: 1rem; overflow-x: auto; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
`;

/**
 * One self-contained HTML page: inline CSS, figures as data URIs, no scripts, no outside requests.
 *
 * @example
 * renderPage({ title: 'Report', summary: [['accuracy', '98.1%']], figures: [] });
 * // '<!doctype html>…<h1>Report</h1>…'
 */
export function renderPage(content: PageContent): string {
  const summary = content.summary
    .map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n');
  const figures = content.figures
    .map(
      (figure) =>
        `<section id="${escapeHtml(figure.name)}"><h2>${escapeHtml(figure.title)}</h2>\n<figure><img alt="${escapeHtml(figure.title)}" src="${figure.dataUri}"></figure></section>`,
    )
    .join('\n');
  const report = content.reportText
    ? `<section id="classification-report-text"><h2>Classification report (scikit-learn format)</h2><pre>${escapeHtml(content.reportText)}</pre></section>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(content.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(content.title)}</h1>
<table class="summary">
${summary}
</table>
${report}
${figures}
${(content.sections ?? []).join('\n')}
<footer><p>Written by cnnx on ${new Date().toISOString()}.</p></footer>
</body>
</html>
`;
}
