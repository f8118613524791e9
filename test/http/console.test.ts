import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { CONSOLE_CSP, loadConsoleBuild } from '../../src/http/faces/console.js';
import { buildConsole } from '../helpers/console-build.js';
import { ROOT } from '../helpers/server-process.js';
import { createTestService } from '../helpers/service.js';
import { createTempDirs } from '../helpers/temp-dir.js';

// The console's static shell as Baton serves it: the page, its built files and nothing else,
// under a strict Content-Security-Policy. What the console does in a browser is in test/console.

const dirs = createTempDirs();
let app: FastifyInstance;
let service: TokenService;
let manifest: { index: string; assets: string[] };

beforeAll(async () => {
  buildConsole();
  manifest = JSON.parse(readFileSync(join(ROOT, 'dist', 'console', 'manifest.json'), 'utf8')) as {
    index: string;
    assets: string[];
  };
  ({ service } = await createTestService());
  app = await createApp({ service, logger: false });
});
afterAll(async () => {
  await app?.close();
  await service?.close();
  dirs.cleanup();
});

const get = (url: string) => app.inject({ method: 'GET', url });

/** The directives of a Content-Security-Policy, by name. */
function directives(policy: string): Map<string, string> {
  return new Map(
    policy.split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values.join(' ')] as const;
    }),
  );
}

describe('GET /', () => {
  it('redirects to the console with 302 and a relative Location', async () => {
    const response = await get('/');
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('console');
    expect(response.body).toContain('href="console"');
  });
});

describe('GET /console', () => {
  it('serves the page with a strict Content-Security-Policy and no-store', async () => {
    const response = await get('/console');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    const policy = String(response.headers['content-security-policy']);
    expect(policy).toBe(CONSOLE_CSP);
    const parsed = directives(policy);
    expect(parsed.get('default-src')).toBe("'self'");
    expect(parsed.get('script-src')).toBe("'self'");
    expect(parsed.get('style-src')).toBe("'self'");
    expect(parsed.get('frame-ancestors')).toBe("'none'");
    expect(parsed.get('object-src')).toBe("'none'");
    expect(policy).not.toMatch(/unsafe-|https?:|data:|\*/);
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });

  it('loads only files of this server: no inline script or style, no handler attributes', async () => {
    const html = (await get('/console')).body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.[1]).toMatch(/^ type="module" src="console\/assets\/main-[\w-]+\.js"$/);
    expect(scripts[0]?.[2]).toBe('');
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(urls.filter((url) => !url?.startsWith('console/assets/') && url !== 'docs')).toEqual([]);
  });

  it('serves every built file with its type, the policy, and a long cache', async () => {
    const types: Record<string, string> = {
      js: 'text/javascript; charset=utf-8',
      css: 'text/css; charset=utf-8',
      svg: 'image/svg+xml',
    };
    expect(manifest.assets.map((name) => name.split('.').at(-1)).sort()).toEqual([
      'css',
      'js',
      'svg',
    ]);
    for (const name of manifest.assets) {
      const response = await get(`/console/assets/${name}`);
      expect(response.statusCode, name).toBe(200);
      expect(response.headers['content-type']).toBe(types[name.split('.').at(-1) ?? '']);
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(response.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(
        response.rawPayload.equals(readFileSync(join(ROOT, 'dist/console/assets', name))),
      ).toBe(true);
    }
  });

  it.each([
    'index.html',
    'manifest.json',
    'main.js',
    'main.tsx',
    '..%2Fmanifest.json',
    '%2E%2E%2F%2E%2E%2Fpackage.json',
    '..%5C..%5Cpackage.json',
    '__proto__',
    'constructor',
  ])('answers /console/assets/%s with 404: only the built files are served', async (file) => {
    const response = await get(`/console/assets/${file}`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('serves nothing of the admin API without the token: the page holds no data', async () => {
    const html = (await get('/console')).body;
    expect(html).not.toMatch(/ses_|bat_|cs_|adminToken/);
    expect((await get('/admin/sessions?subject=alice')).statusCode).toBe(401);
    expect((await get('/admin/stats')).statusCode).toBe(401);
    expect((await get('/console')).headers['set-cookie']).toBeUndefined();
  });
});

describe('loading the build', () => {
  it('finds none where nothing was built', () => {
    expect(loadConsoleBuild(dirs.make())).toBeUndefined();
  });

  it('refuses a manifest that lists a file it may not serve', () => {
    const directory = dirs.make();
    mkdirSync(join(directory, 'assets'));
    writeFileSync(join(directory, 'index.html'), '<!doctype html>');
    writeFileSync(
      join(directory, 'manifest.json'),
      JSON.stringify({ index: 'index.html', assets: ['../secret.js'] }),
    );
    expect(() => loadConsoleBuild(directory)).toThrow(/may not serve/);
  });
});
