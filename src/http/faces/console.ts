import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { BatonError } from '../../core/index.js';
import { adminErrors } from '../openapi.js';
import { operationDoc } from './operations.js';

/**
 * Content-Security-Policy of every console response: this origin only, no inline script or
 * style, no framing.
 * - `script-src 'self'` and `style-src 'self'`: the page loads one script and one stylesheet,
 *   files under `/console/assets/`; nothing is inline (the charts are SVG attributes and CSS
 *   classes, and Preact sets no `style` attribute).
 * - `connect-src 'self'`: the console calls the admin API of the server it came from.
 * - `img-src 'self'`: the icon; `form-action 'none'`: its forms are handled by script and
 *   never submitted; `require-trusted-types-for 'script'`: no HTML is ever parsed from strings.
 * - `frame-ancestors 'none'`: the console is never framed (no clickjacking of its buttons).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Headers of every console response, besides those of every response. */
const CONSOLE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** The built files' names end so; each name carries a hash of its content. */
const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** A content-hashed file never changes under its name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A built file of the console, held in memory. */
interface ConsoleFile {
  type: string;
  body: Buffer;
}

/** The built console: its page and the files the page loads. */
export interface ConsoleBuild {
  index: Buffer;
  assets: ReadonlyMap<string, ConsoleFile>;
}

/** The package root's `dist/console/`, from here in `src/http/faces/` or `dist/http/faces/`. */
const BUILD_DIRECTORY = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

/**
 * Reads the built console (`npm run build`, scripts/build-console.mjs) from `directory`: the
 * files its manifest lists, nothing else. `undefined` when it has not been built (Baton run from
 * its sources); throws when a listed file is missing or of a type not served.
 */
export function loadConsoleBuild(directory = BUILD_DIRECTORY): ConsoleBuild | undefined {
  let manifest: { index: string; assets: string[] };
  try {
    manifest = JSON.parse(
      readFileSync(join(directory, 'manifest.json'), 'utf8'),
    ) as typeof manifest;
  } catch {
    return undefined;
  }
  const assets = new Map<string, ConsoleFile>();
  for (const name of manifest.assets) {
    const type = TYPES[extname(name)];
    if (type === undefined || !/^[A-Za-z0-9_-]+\.[a-z]+$/.test(name))
      throw new Error(`the console build lists a file it may not serve: ${name}`);
    assets.set(name, { type, body: readFileSync(join(directory, 'assets', name)) });
  }
  return { index: readFileSync(join(directory, manifest.index)), assets };
}

const NOT_BUILT = 'the console is not built: run npm run build';

/** What `GET /` answers: a redirect, with a link for clients that do not follow it. */
const REDIRECT_PAGE = '<!doctype html><title>Baton</title><a href="console">Baton console</a>\n';

/** Options of {@link consoleFace}. */
export interface ConsoleFaceOptions {
  /** Where the built console is; the package's `dist/console/` by default. */
  directory?: string;
}

/**
 * The operator's console at `/console`: its page and its built files (an allowlist from the
 * build's manifest, read once at start), each with {@link CONSOLE_CSP}; `/` redirects there.
 * Everything the console shows comes from the admin API, behind the admin token: these routes
 * serve only the static shell.
 */
export async function consoleFace(
  app: FastifyInstance,
  options: ConsoleFaceOptions = {},
): Promise<void> {
  const build = loadConsoleBuild(options.directory);
  if (build === undefined) app.log.info(`${NOT_BUILT}; /console answers 404 until then`);
  const config = { face: 'operations' };

  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(CONSOLE_HEADERS);
    done(null, payload);
  });

  app.get(
    '/',
    {
      config: {
        ...config,
        openapi: operationDoc('getRoot', 'Redirects to the console', {
          '302': {
            description: 'To /console',
            headers: {
              Location: {
                description: '`console`, relative to this URL',
                required: true,
                schema: { type: 'string' },
              },
            },
            content: { 'text/html': { schema: { type: 'string', description: 'a link' } } },
          },
        }),
      },
    },
    // A relative Location, so that the redirect also works behind a proxy that adds a path.
    async (_request, reply) =>
      reply
        .code(302)
        .header('location', 'console')
        .type('text/html; charset=utf-8')
        .send(REDIRECT_PAGE),
  );

  app.get(
    '/console',
    {
      config: {
        ...config,
        openapi: operationDoc(
          'getConsole',
          "The operator's console",
          {
            '200': {
              description:
                'The console page; it signs in with the admin token and calls the admin API',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
            ...adminErrors([404]),
          },
          {
            description:
              'Served with a strict Content-Security-Policy (this origin only, no inline script or style, no framing). 404 when Baton runs from sources without `npm run build`.',
          },
        ),
      },
    },
    async (_request, reply) => {
      if (build === undefined) throw new BatonError('ERR_NOT_FOUND', NOT_BUILT);
      return reply.type('text/html; charset=utf-8').send(build.index);
    },
  );

  app.get<{ Params: { file: string } }>(
    '/console/assets/:file',
    {
      config: {
        ...config,
        cacheControl: IMMUTABLE,
        openapi: operationDoc(
          'getConsoleFile',
          'A file of the console',
          {
            '200': {
              description: 'The file; its name changes with its content, so it is cached for good',
              content: {
                'text/javascript': { schema: { type: 'string' } },
                'text/css': { schema: { type: 'string' } },
                'image/svg+xml': { schema: { type: 'string' } },
              },
            },
            ...adminErrors([404]),
          },
          {
            parameters: [
              {
                name: 'file',
                in: 'path',
                required: true,
                description: 'One of the files the console build made; no other path is served',
                schema: { type: 'string', maxLength: 64 },
              },
            ],
          },
        ),
      },
    },
    async (request, reply) => {
      // An allowlist lookup: the path never reaches the file system.
      const file = build?.assets.get(request.params.file);
      if (file === undefined) throw new BatonError('ERR_NOT_FOUND', 'no such file');
      return reply.type(file.type).send(file.body);
    },
  );
}
