import type { OpenApiDocument } from '../openapi.js';
import { errorCodeRows } from './error-catalogue.js';

/**
 * Content-Security-Policy of the API reference page: nothing but this origin, no inline script.
 * - `script-src 'self'`: Swagger UI and its init script are files served under `/docs/`.
 * - `style-src 'self'`: Swagger UI's stylesheet is a file too; the inline styles its React
 *   components set go through the CSSOM, which CSP does not restrict.
 * - `img-src 'self' data:`: Swagger UI's stylesheet draws its icons as `data:` SVGs.
 * - `connect-src 'self'`: the page fetches `/openapi.json`, and "Try it out" calls this server.
 * - `frame-ancestors 'none'`: the page is never framed (no clickjacking of "Try it out").
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** Escapes `text` and turns its `backtick` spans into `<code>`. */
const inlineHtml = (text: string): string =>
  escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const row = (cells: string[]): string => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;

/** The endpoints and the error codes as plain tables, for browsers without JavaScript. */
function fallback(document: OpenApiDocument): string {
  const endpoints = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const op = operation as { summary?: string; tags?: string[] };
      return row([
        escapeHtml(op.tags?.[0] ?? ''),
        `<code>${method.toUpperCase()}</code>`,
        `<code>${escapeHtml(path)}</code>`,
        escapeHtml(op.summary ?? ''),
      ]);
    }),
  );
  const errors = errorCodeRows().map(({ code, status, error, reason, when }) =>
    row([
      `<code>${code}</code>`,
      String(status),
      `<code>${escapeHtml(error)}</code>`,
      `<code>${escapeHtml(reason)}</code>`,
      inlineHtml(when),
    ]),
  );
  return `<div class="fallback">
<h1>Baton API</h1>
<p>The interactive reference needs JavaScript. The machine-readable description is <a href="openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table><thead><tr><th>Face</th><th>Method</th><th>Path</th><th>What it does</th></tr></thead><tbody>
${endpoints.join('\n')}
</tbody></table>
<h2>Error codes</h2>
<table><thead><tr><th>Code</th><th>Status</th><th>error</th><th>reason</th><th>When</th></tr></thead><tbody>
${errors.join('\n')}
</tbody></table>
</div>`;
}

/**
 * The API reference page: Swagger UI rendering `/openapi.json`, with no inline script or style
 * (see {@link DOCS_CSP}), and the endpoints and error codes as plain tables inside `<noscript>`.
 * Its URLs are relative, so the page also works behind a proxy that mounts Baton under a path.
 */
export function renderDocsPage(document: OpenApiDocument): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Baton API reference</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="stylesheet" href="docs/api-reference.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="openapi.json"></div>
<noscript>
${fallback(document)}
</noscript>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/api-reference.js"></script>
</body>
</html>
`;
}
