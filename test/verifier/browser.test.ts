import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as VerifierExports from '../../src/client/verifier/index.js';
import {
  admin,
  cleanupServers,
  mintSession,
  startServer,
  type ServerProcess,
} from '../helpers/server-process.js';

/**
 * `baton/verifier` bundled for browsers by esbuild (which fails on any Node built-in) and run
 * in headless Chromium against a real Baton. The page server forwards `/baton/*` to Baton so the
 * page reaches it from its own origin.
 */

let server: ServerProcess;
let pageServer: Server;
let origin: string;
let browser: Browser;
let page: Page;
let bundleText = '';

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>verifier</title></head>
<body><script type="module">
import * as verifier from '/verifier.js';
window.batonVerifier = verifier;
window.ready = true;
</script></body></html>`;

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../../src/client/verifier/index.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  return result.outputFiles[0]?.text ?? '';
}

beforeAll(async () => {
  server = await startServer();
  const code = await bundle();
  bundleText = code;
  pageServer = createServer((request, response) => {
    const url = request.url ?? '/';
    if (url === '/') return void response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (url === '/verifier.js')
      return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
    if (url.startsWith('/baton/')) {
      void fetch(`${server.url}${url.slice('/baton'.length)}`).then(async (answer) => {
        response.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? '',
        });
        response.end(Buffer.from(await answer.arrayBuffer()));
      });
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  pageServer?.closeAllConnections();
  await new Promise<void>((resolve) =>
    pageServer ? pageServer.close(() => resolve()) : resolve(),
  );
  await cleanupServers();
});

type VerifierModule = typeof VerifierExports;
/** What the page holds: the bundled module and the verifier the test created. */
type PageGlobals = {
  batonVerifier: VerifierModule;
  verifier?: ReturnType<VerifierModule['createVerifier']>;
};

/** Creates the page's verifier (the JWKS is fetched through the page server). */
async function createInPage(): Promise<void> {
  await page.evaluate(
    ({ issuer, jwksUri }) => {
      const g = globalThis as unknown as PageGlobals;
      g.verifier?.close();
      g.verifier = g.batonVerifier.createVerifier({ issuer, jwksUri, jwksCooldown: 0 });
    },
    { issuer: server.url, jwksUri: `${origin}/baton/.well-known/jwks.json` },
  );
}

/** Verifies `tokens` in the page, in turn; each result is the claims' sub or the error code. */
function verifyInPage(tokens: string[]): Promise<string[]> {
  return page.evaluate(async (tokens) => {
    const { verifier } = globalThis as unknown as PageGlobals;
    const results: string[] = [];
    for (const token of tokens) {
      results.push(
        await (verifier as NonNullable<typeof verifier>).verify(token).then(
          (claims) => claims.sub,
          (error: { code: string }) => error.code,
        ),
      );
    }
    return results;
  }, tokens);
}

describe('the verifier in a browser', () => {
  it('bundles for browsers with no Node built-in', () => {
    expect(bundleText.length).toBeGreaterThan(1000);
    expect(bundleText).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it('accepts Baton’s tokens and refuses forged ones, with Web Crypto', async () => {
    await createInPage();
    const alice = await mintSession(server.url, { subject: 'alice' });
    const forged = `${alice.accessToken.slice(0, -4)}AAAA`;
    expect(await verifyInPage([alice.accessToken, forged, 'not-a-token'])).toEqual([
      'alice',
      'bad_signature',
      'malformed',
    ]);
  });

  it('accepts the tokens of a rotated key without being created again', async () => {
    await createInPage();
    const before = await mintSession(server.url, { subject: 'before' });
    expect(await verifyInPage([before.accessToken])).toEqual(['before']);
    expect((await admin(server.url, 'POST', '/admin/keys/rotate')).status).toBe(201);
    const after = await mintSession(server.url, { subject: 'after' });
    expect(await verifyInPage([after.accessToken, before.accessToken])).toEqual([
      'after',
      'before',
    ]);
  });
});
