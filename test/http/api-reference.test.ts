import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECT_NAMES } from '../../src/core/dialects.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { freePort } from '../helpers/server-process.js';
import { createTestService } from '../helpers/service.js';

// The API reference at /docs: Swagger UI served by Baton itself, loaded in headless Chromium
// from a real listening server, with the page's own Content-Security-Policy in force.

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let app: FastifyInstance;
let service: TokenService;
let origin: string;

beforeAll(async () => {
  // The issuer is the server's own origin, as behind a real deployment's proxy: "Try it out"
  // then calls the origin the page came from.
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  ({ service } = await createTestService({ issuer: origin }));
  app = await createApp({
    service,
    logger: false,
    dialects: DIALECT_NAMES.map((name) => ({ name, prefix: '' })),
  });
  await app.listen({ host: '127.0.0.1', port });
});
afterAll(async () => {
  await app?.close();
  await service?.close();
});

describe('/docs in a browser', () => {
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Runs before the page's scripts and outside its CSP: records every violation the policy
    // reports, whether or not the browser also logs it.
    await page.addInitScript({
      content: `window.violations = [];
        document.addEventListener('securitypolicyviolation', (event) => {
          window.violations.push(event.effectiveDirective + ' ' + event.blockedURI);
        });`,
    });
    const response = await page.goto(`${origin}/docs`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every mounted operation, the OAuth token endpoint first', async () => {
    const paths = await page.locator('.opblock-summary-path').allTextContents();
    const normalised = paths.map((path) => path.replace(/\u200b/g, '').trim());
    expect(normalised[0]).toBe('/oauth/token');
    expect(normalised).toEqual(
      expect.arrayContaining([
        '/oauth/revoke',
        '/oauth/introspect',
        '/api/User/authrefresh',
        '/api/v2/auth/refresh',
        '/User/RefreshToken',
        '/api/v1/token/refresh/',
        '/api/v1/auth/refresh',
        '/admin/sessions/{id}',
        '/readyz',
      ]),
    );
  });

  it('shows the error codes in the reference itself, one click away', async () => {
    const info = page.locator('.information-container');
    const table = info.locator('details table');
    await expect(table.isVisible()).resolves.toBe(false);
    await info.locator('details summary').click();
    await expect(table.isVisible()).resolves.toBe(true);
    await expect(table.locator('tr').count()).resolves.toBeGreaterThan(20);
    await expect(table.textContent()).resolves.toContain('ERR_REFRESH_TOKEN_REUSED');
  });

  it('loads nothing from outside the server’s origin', () => {
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  });

  it('calls this server from "Try it out" and shows the answer', async () => {
    const operation = page.locator('#operations-Operations-getHealth');
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('.execute').click();
    const answer = operation.locator('.live-responses-table tr.response');
    await answer.waitFor({ timeout: 10_000 });
    await expect(answer.locator('.response-col_status').textContent()).resolves.toContain('200');
    await expect(answer.textContent()).resolves.toMatch(/"status":\s*"ok"/);
    expect(requests).toContain(`${origin}/healthz`);
    // The schema view of a response: Swagger UI's model renderer, styled and highlighted.
    const token = page.locator('.opblock').first();
    await expect(token.locator('.opblock-summary-path').textContent()).resolves.toMatch(
      /^\/oauth\/token/,
    );
    await token.locator('.opblock-summary-control').click();
    await token.locator('.response .tablinks[data-name="model"]').first().click();
    await expect(token.locator('.model-box').first().textContent()).resolves.toContain(
      'access_token',
    );
    expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  });

  it('ran all of that under its Content-Security-Policy with no violation and no error', async () => {
    const violations: unknown = await page.evaluate('window.violations');
    expect(violations).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

describe('/docs over HTTP', () => {
  it('sends the page with a strict Content-Security-Policy and no inline script', async () => {
    const response = await fetch(`${origin}/docs`);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const policy = response.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      policy.split(';').map((directive) => {
        const [name = '', ...values] = directive.trim().split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
    );
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(policy).not.toMatch(/unsafe-(inline|eval)|https?:/);
    const html = await response.text();
    // Every script is a file of this server: no inline code, no event-handler attributes.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((script) => script[1]?.trim())).toEqual([
      'src="docs/swagger-ui-bundle.js"',
      'src="docs/api-reference.js"',
    ]);
    expect(scripts.every((script) => script[2] === '')).toBe(true);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it.each([
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['api-reference.js', 'text/javascript; charset=utf-8'],
    ['swagger-ui.css', 'text/css; charset=utf-8'],
    ['api-reference.css', 'text/css; charset=utf-8'],
    ['favicon-32x32.png', 'image/png'],
  ])('serves /docs/%s as %s', async (file, type) => {
    const response = await fetch(`${origin}/docs/${file}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
  });

  it.each([
    'index.html',
    'swagger-ui-bundle.js.map',
    'package.json',
    'swagger-ui-standalone-preset.js',
    '..%2Fpackage.json',
    '%2E%2E%2F%2E%2E%2Fpackage.json',
    '..%5C..%5Cpackage.json',
    '__proto__',
    'docs-page.ts',
  ])('answers /docs/%s with 404: only the allowlist is served', async (file) => {
    const response = await fetch(`${origin}/docs/${file}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found', code: 'ERR_NOT_FOUND' });
  });
});
