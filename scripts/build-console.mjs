// Builds the operator's console (src/console, Preact) into dist/console: one minified script and
// one minified stylesheet bundled by esbuild, and the icon, each under a content-hashed name in assets/;
// index.html naming them; and manifest.json, the list of files the server may serve. Run by
// `npm run build`. Writes nothing when the output is unchanged, so that a server reading the
// files while a build runs never sees half of one.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, extname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = join(ROOT, 'src', 'console');
const OUT = join(ROOT, 'dist', 'console');
const ASSETS = join(OUT, 'assets');

const hashed = (name, body) => {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 10);
  return `${basename(name, extname(name))}-${hash}${extname(name)}`;
};

const result = await build({
  entryPoints: [join(SOURCE, 'main.tsx'), join(SOURCE, 'console.css')],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome111', 'firefox115', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(SOURCE, 'tsconfig.json'),
  outdir: ASSETS,
  entryNames: '[name]',
  write: false,
  logLevel: 'warning',
});

/** name → body of every asset, under its hashed name. */
const assets = new Map();
for (const file of result.outputFiles) {
  assets.set(hashed(basename(file.path), file.contents), Buffer.from(file.contents));
}
const icon = readFileSync(join(SOURCE, 'favicon.svg'));
assets.set(hashed('favicon.svg', icon), icon);

const find = (extension) => {
  const name = [...assets.keys()].find((key) => key.endsWith(extension));
  if (name === undefined) throw new Error(`the console build made no ${extension} file`);
  return name;
};

// Relative URLs: the page lives at /console, also behind a proxy that mounts Baton under a path.
const index = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Baton console</title>
<link rel="icon" type="image/svg+xml" href="console/assets/${find('.svg')}">
<link rel="stylesheet" href="console/assets/${find('.css')}">
<script type="module" src="console/assets/${find('.js')}"></script>
</head>
<body>
<noscript><p>The Baton console needs JavaScript. The admin API also answers curl and the <code>baton</code> command line; see <a href="docs">the API reference</a>.</p></noscript>
<div id="app"></div>
</body>
</html>
`;
const manifest = `${JSON.stringify({ index: 'index.html', assets: [...assets.keys()].sort() }, null, 2)}\n`;

const current = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
const unchanged =
  current(join(OUT, 'manifest.json')) === manifest &&
  current(join(OUT, 'index.html')) === index &&
  [...assets.keys()].every((name) => existsSync(join(ASSETS, name)));

if (!unchanged) {
  mkdirSync(ASSETS, { recursive: true });
  // New names first, then the page and the list that name them (each replaced in one rename),
  // then the files nothing names any more.
  for (const [name, body] of assets) writeFileSync(join(ASSETS, name), body);
  for (const [name, body] of [
    ['index.html', index],
    ['manifest.json', manifest],
  ]) {
    const temporary = join(OUT, `.${name}.${process.pid}`);
    writeFileSync(temporary, body);
    renameSync(temporary, join(OUT, name));
  }
  for (const name of readdirSync(ASSETS)) {
    if (!assets.has(name)) rmSync(join(ASSETS, name));
  }
}

const sizes = [...assets].map(([name, body]) => `${name} ${body.length} B`).join(', ');
process.stdout.write(`console ${unchanged ? 'unchanged' : 'built'}: ${sizes}\n`);
