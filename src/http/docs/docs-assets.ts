import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file of the API reference page, held in memory. */
export interface DocsAsset {
  /** Its `Content-Type`. */
  type: string;
  body: Buffer;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The renderer's files the page loads, from the swagger-ui-dist package: nothing else of it. */
const RENDERER_FILES: Readonly<Record<string, string>> = {
  'swagger-ui-bundle.js': JS,
  'swagger-ui.css': CSS,
  'favicon-32x32.png': 'image/png',
};

/** Baton's own files of the page, in `assets/` beside this module. */
const OWN_FILES: Readonly<Record<string, string>> = {
  'api-reference.js': JS,
  'api-reference.css': CSS,
};

/** The names served under `/docs/`: the allowlist, and the enum of the OpenAPI parameter. */
export const DOCS_ASSET_NAMES: readonly string[] = [
  ...Object.keys(OWN_FILES),
  ...Object.keys(RENDERER_FILES),
];

let loaded: ReadonlyMap<string, DocsAsset> | undefined;

function read(directory: string, name: string, type: string, origin: string): [string, DocsAsset] {
  try {
    return [name, { type, body: readFileSync(join(directory, name)) }];
  } catch {
    throw new Error(`the API reference page cannot read ${name} (${origin} in ${directory})`);
  }
}

/**
 * The files of the API reference page, read once per process: Swagger UI's from the installed
 * `swagger-ui-dist` package (resolved like an import, so any install layout works), Baton's own
 * from `assets/`. Throws one clear line when one is missing, so that start-up fails instead of
 * the page.
 */
export function loadDocsAssets(): ReadonlyMap<string, DocsAsset> {
  if (loaded !== undefined) return loaded;
  let rendererDirectory: string;
  try {
    rendererDirectory = dirname(
      createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
    );
  } catch {
    throw new Error('the API reference page needs the swagger-ui-dist package; run npm install');
  }
  const ownDirectory = fileURLToPath(new URL('./assets/', import.meta.url));
  loaded = new Map([
    ...Object.entries(OWN_FILES).map(([name, type]) => read(ownDirectory, name, type, 'Baton')),
    ...Object.entries(RENDERER_FILES).map(([name, type]) =>
      read(rendererDirectory, name, type, 'swagger-ui-dist'),
    ),
  ]);
  return loaded;
}
