import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  admin,
  cleanupServers,
  getSession,
  mintSession,
  startServer,
  type MintedSession,
  type ServerProcess,
} from '../helpers/server-process.js';
import { bundleClient, startPageServer, type PageServer } from './page-server.js';

// The client in headless Chromium: tabs of one origin share localStorage, Web Locks and a
// BroadcastChannel. Baton is reached through the page server's /baton proxy, which counts what
// the server sees.

/** What the test page puts on `window` (see page-server.ts). */
interface TestPage {
  boot(options: {
    baseUrl: string;
    clientId: string;
    refreshSkew: number;
    reuseGrace?: number;
    tokens?: MintedSession;
  }): void;
  call(path: string): Promise<number | string>;
  keepCalling(path: string, ms: number, pauseMs: number): Promise<number[]>;
  token(): Promise<string>;
  stored(): string | null;
  state: { ended: string[]; errors: string[] };
  client: { signOut(): Promise<boolean> };
}

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let server: ServerProcess;
let pages: PageServer;
let context: BrowserContext;
let profile: string;
let clients = 0;

beforeAll(async () => {
  pages = await startPageServer(await bundleClient());
  // The page's origin reaches Baton through the /baton proxy, as through a reverse proxy.
  server = await startServer({
    BATON_RATE_LIMIT_IP: '0',
    BATON_CORS_ORIGINS: `http://localhost:${pages.port}`,
  });
  pages.connect(server.url, ADMIN_TOKEN);
  profile = mkdtempSync(join(tmpdir(), 'baton-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
}, 90_000);

// A failed test leaves no tab behind to refresh in the background of the next one.
afterEach(async () => {
  for (const page of context.pages()) await page.close();
});

afterAll(async () => {
  await context?.close();
  await pages?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  await cleanupServers();
});

const origin = (): string => `http://localhost:${pages.port}`;

/** A public client of its own for each test, so that tests never share a stored session. */
async function newClient(settings: Record<string, unknown> = {}): Promise<string> {
  const id = `tabs-${++clients}`;
  expect((await admin(server.url, 'POST', '/admin/clients', { id, ...settings })).status).toBe(201);
  return id;
}

/** How tabs open the page: where from, and where they find Baton. */
interface TabSetup {
  origin?: string;
  baseUrl?: string;
  reuseGrace?: number;
  withoutWebLocks?: boolean;
}

/** Opens `count` tabs of the test page; the first starts the session, the others load it. */
async function openTabs(
  count: number,
  clientId: string,
  tokens: MintedSession,
  refreshSkew: number,
  setup: TabSetup = {},
): Promise<Page[]> {
  const { withoutWebLocks = false, origin: from = origin() } = setup;
  const tabs: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    if (withoutWebLocks) {
      // A browser without the Web Locks API (the client then leases through localStorage).
      await page.addInitScript(() => {
        const { navigator } = globalThis as unknown as { navigator: object };
        Object.defineProperty(Object.getPrototypeOf(navigator), 'locks', {
          get: () => undefined,
        });
      });
    }
    await page.goto(`${from}/`);
    await page.waitForFunction(() => 'boot' in globalThis);
    const options = {
      baseUrl: setup.baseUrl ?? `${from}/baton`,
      clientId,
      refreshSkew,
      ...(setup.reuseGrace === undefined ? {} : { reuseGrace: setup.reuseGrace }),
    };
    await page.evaluate((o) => (globalThis as unknown as TestPage).boot(o), {
      ...options,
      ...(i === 0 ? { tokens } : {}),
    });
    // Every tab holds the session before the test goes on.
    expect(await tokenOf(page)).toMatch(/^ey/);
    tabs.push(page);
  }
  return tabs;
}

const refreshesSince = (from: number): { body: string; status: number; answer: string }[] =>
  pages.baton.slice(from).filter((r) => r.path === '/oauth/token');
const refreshTokenOf = (body: string): string | null =>
  new URLSearchParams(body).get('refresh_token');
const ended = (tab: Page): Promise<string[]> =>
  tab.evaluate(() => (globalThis as unknown as TestPage).state.ended);
const tokenOf = (tab: Page): Promise<string> =>
  tab.evaluate(() => (globalThis as unknown as TestPage).token());

/**
 * Three tabs keep calling the API for `ms` on a session whose access tokens live 2 s: the server
 * sees one refresh per rotation, every call succeeds, and no tab is signed out.
 */
async function expectOneRefreshPerToken(ms: number, withoutWebLocks: boolean): Promise<void> {
  const clientId = await newClient();
  const minted = await mintSession(server.url, { subject: 'three-tabs', clientId, accessTtl: 2 });
  const from = pages.baton.length;
  const tabs = await openTabs(3, clientId, { ...minted, expiresIn: 2 }, 0.3, { withoutWebLocks });
  if (withoutWebLocks) {
    const locks = await tabs[0]?.evaluate(
      () => typeof (globalThis as unknown as { navigator: { locks?: unknown } }).navigator.locks,
    );
    expect(locks).toBe('undefined');
  }
  const calls = await Promise.all(
    tabs.map((tab) =>
      tab.evaluate(
        ([path, duration]) => (globalThis as unknown as TestPage).keepCalling(path, duration, 150),
        ['/api/me', ms] as const,
      ),
    ),
  );
  const refreshes = refreshesSince(from);
  const session = await getSession(server.url, minted.sessionId);

  expect(session.generation).toBeGreaterThanOrEqual(Math.floor(ms / 2000));
  // One request per rotation, each with the token the previous one handed out.
  expect(refreshes).toHaveLength(session.generation);
  expect(refreshes.map((r) => r.status)).toEqual(refreshes.map(() => 200));
  expect(new Set(refreshes.map((r) => refreshTokenOf(r.body))).size).toBe(refreshes.length);
  for (const tabCalls of calls) {
    expect(tabCalls.length).toBeGreaterThan(5);
    expect(tabCalls).toEqual(tabCalls.map(() => 200));
  }
  for (const tab of tabs) expect(await ended(tab)).toEqual([]);
  expect(session.status).toBe('active');
  for (const tab of tabs) await tab.close();
}

describe('tabs of one origin', () => {
  it('three tabs calling an API across five expiries send one refresh per access token', async () => {
    await expectOneRefreshPerToken(10_500, false);
  });

  it('without Web Locks, the localStorage lease keeps it to one refresh per access token', async () => {
    await expectOneRefreshPerToken(6_500, true);
  });

  it('when the tab leading a refresh closes, another finishes it with the same refresh token', async () => {
    const clientId = await newClient();
    const minted = await mintSession(server.url, { subject: 'leader-gone', clientId });
    const [leader, second, third] = (await openTabs(3, clientId, minted, 5)) as [Page, Page, Page];
    // The server answers the leader's refresh; the tab never sees it, because it goes away.
    const answered = pages.holdNext('/oauth/token');
    const from = pages.baton.length;
    void leader
      .evaluate(() => (globalThis as unknown as TestPage).call('/api/deny'))
      .catch(() => {
        // the page closes under it
      });
    const answer = JSON.parse(await answered) as { access_token: string };
    await leader.close();

    expect(await second.evaluate(() => (globalThis as unknown as TestPage).call('/api/me'))).toBe(
      200,
    );
    expect(await tokenOf(second)).toBe(answer.access_token);
    await expect.poll(() => tokenOf(third)).toBe(answer.access_token);
    const refreshes = refreshesSince(from);
    expect(refreshes.map((r) => refreshTokenOf(r.body))).toEqual([
      minted.refreshToken,
      minted.refreshToken,
    ]);
    expect(refreshes[1]?.answer).toBe(refreshes[0]?.answer);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
    expect([await ended(second), await ended(third)]).toEqual([[], []]);
    await second.close();
    await third.close();
  });

  it('a frozen tab holding the lock mid-refresh is taken over after the lock wait', async () => {
    const clientId = await newClient();
    const minted = await mintSession(server.url, { subject: 'frozen-leader', clientId });
    const [frozen, other] = (await openTabs(2, clientId, minted, 5)) as [Page, Page];
    const answered = pages.holdNext('/oauth/token');
    const from = pages.baton.length;
    void frozen
      .evaluate(() => (globalThis as unknown as TestPage).call('/api/deny'))
      .catch(() => {
        // never answered
      });
    const answer = JSON.parse(await answered) as { access_token: string };
    // The tab stops running while it holds the Web Lock, as a frozen background tab does.
    const cdp = await context.newCDPSession(frozen);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });

    expect(await other.evaluate(() => (globalThis as unknown as TestPage).call('/api/me'))).toBe(
      200,
    );
    expect(await tokenOf(other)).toBe(answer.access_token);
    const refreshes = refreshesSince(from);
    expect(refreshes.map((r) => refreshTokenOf(r.body))).toEqual([
      minted.refreshToken,
      minted.refreshToken,
    ]);
    expect(refreshes[1]?.answer).toBe(refreshes[0]?.answer);
    expect(await ended(other)).toEqual([]);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
  });

  it('recovers a refresh whose response was aborted after the server answered', async () => {
    const clientId = await newClient();
    const minted = await mintSession(server.url, { subject: 'aborted', clientId });
    const [other, tab] = (await openTabs(2, clientId, minted, 5)) as [Page, Page];
    let first: string | undefined;
    await tab.route('**/baton/oauth/token', async (route) => {
      if (first !== undefined) return route.continue();
      first = await (await route.fetch()).text();
      return route.abort('connectionreset');
    });
    const from = pages.baton.length;
    // /api/deny refuses every token: one refresh, one retry, and its second 401 comes back.
    expect(await tab.evaluate(() => (globalThis as unknown as TestPage).call('/api/deny'))).toBe(
      401,
    );
    const answer = JSON.parse(first ?? '{}') as { access_token: string };
    const refreshes = refreshesSince(from);
    expect(refreshes.map((r) => refreshTokenOf(r.body))).toEqual([
      minted.refreshToken,
      minted.refreshToken,
    ]);
    expect(refreshes[1]?.answer).toBe(first);
    expect(await tokenOf(tab)).toBe(answer.access_token);
    await expect.poll(() => tokenOf(other)).toBe(answer.access_token);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
    expect([await ended(other), await ended(tab)]).toEqual([[], []]);
    await other.close();
    await tab.close();
  });

  it('a sign-out in one tab signs every tab out and clears the storage', async () => {
    const clientId = await newClient();
    const minted = await mintSession(server.url, { subject: 'sign-out', clientId });
    const tabs = await openTabs(3, clientId, minted, 5);
    expect(
      await tabs[1]?.evaluate(() => (globalThis as unknown as TestPage).client.signOut()),
    ).toBe(true);
    await expect
      .poll(() => Promise.all(tabs.map(ended)))
      .toEqual([['signed_out'], ['signed_out'], ['signed_out']]);
    for (const tab of tabs) {
      expect(await tab.evaluate(() => (globalThis as unknown as TestPage).stored())).toBeNull();
      expect(await tokenOf(tab)).toBe('ERR_NO_SESSION');
    }
    const session = await getSession(server.url, minted.sessionId);
    expect([session.status, session.revokeReason]).toEqual(['revoked', 'logout']);
    for (const tab of tabs) await tab.close();
  });
});

describe('pages on other origins', () => {
  it('refresh straight at Baton through CORS when their client allows the origin', async () => {
    const pageOrigin = `http://127.0.0.1:${pages.port}`;
    const clientId = await newClient({ allowedOrigins: [pageOrigin] });
    const minted = await mintSession(server.url, { subject: 'cors-allowed', clientId });
    const [tab] = (await openTabs(1, clientId, minted, 5, {
      origin: pageOrigin,
      baseUrl: server.url,
    })) as [Page];
    // A refresh, then a revocation: both need the preflight and the CORS answer.
    expect(await tab.evaluate(() => (globalThis as unknown as TestPage).call('/api/deny'))).toBe(
      401,
    );
    const refreshed = await tokenOf(tab);
    expect(refreshed).not.toBe(minted.accessToken);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
    expect(await tab.evaluate(() => (globalThis as unknown as TestPage).client.signOut())).toBe(
      true,
    );
    expect((await getSession(server.url, minted.sessionId)).status).toBe('revoked');
    await tab.close();
  });

  it('cannot refresh from an origin nothing allows, and the session is left as it was', async () => {
    const elsewhere = await startPageServer(await bundleClient());
    try {
      const clientId = await newClient({ allowedOrigins: [`http://127.0.0.1:${pages.port}`] });
      const minted = await mintSession(server.url, { subject: 'cors-refused', clientId });
      const [tab] = (await openTabs(1, clientId, minted, 5, {
        origin: `http://127.0.0.1:${elsewhere.port}`,
        baseUrl: server.url,
        reuseGrace: 1,
      })) as [Page];
      expect(await tab.evaluate(() => (globalThis as unknown as TestPage).call('/api/deny'))).toBe(
        'ERR_NETWORK',
      );
      expect(await tokenOf(tab)).toBe(minted.accessToken);
      expect(await ended(tab)).toEqual([]);
      const session = await getSession(server.url, minted.sessionId);
      expect([session.generation, session.status]).toEqual([0, 'active']);
      await tab.close();
    } finally {
      await elsewhere.close();
    }
  });
});
