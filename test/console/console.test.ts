import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../helpers/console-build.js';
import {
  ADMIN_TOKEN,
  admin,
  cleanupServers,
  getSession,
  mintSession,
  refreshAt,
  ROOT,
  startServer,
  type ServerProcess,
} from '../helpers/server-process.js';
import { createTempDirs } from '../helpers/temp-dir.js';

// The operator's console in headless Chromium against a real `baton serve`: every page used as
// an operator would, each change checked over HTTP, the layout at 375 px, an axe-core scan of
// every page, and the screenshots of docs/console.md taken on the way.

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const profiles = createTempDirs('baton-console-profile-');
// The screenshots are taken on every run (a page that fails to render fails the test); they
// replace the ones in docs/images only with UPDATE_SCREENSHOTS=1, so a test run leaves the
// working tree as it found it.
const IMAGES =
  process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'images') : profiles.make();
let server: ServerProcess;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  buildConsole();
  server = await startServer();
  // axe-core is injected as an inline script, which the console's policy refuses: this context
  // lets it in. The last test runs the console under its policy in a context of its own.
  context = await chromium.launchPersistentContext(profiles.make(), {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    bypassCSP: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      consoleErrors.push(message.text());
  });
});
afterAll(async () => {
  await context?.close();
  await cleanupServers();
  profiles.cleanup();
});

/** Retries an expectation on what the page shows until it holds (renders are asynchronous). */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 5000, interval: 50 });

const shot = (name: string) =>
  page.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage: true });

/** Serious and critical accessibility violations axe-core finds on the page as it is. */
async function axeViolations(): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate(
    `axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })))`,
  )) as { id: string; impact: string; nodes: string[] }[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.join(', ')}`);
}

const text = (selector: string) => page.locator(selector).innerText();
/** Waits until the page's status line says `message`. */
const announced = (message: string) =>
  page.locator('.announce', { hasText: message }).waitFor({ timeout: 5000 });
const activeText = () => page.evaluate('document.activeElement?.textContent?.trim()');

async function go(name: string): Promise<void> {
  await page.locator(`nav a[href="#/${name}"]`).click();
  await page.locator('main h1').waitFor();
}

describe('the console in a browser', () => {
  it('answers / with the console, and refuses a wrong admin token with a clear message', async () => {
    const response = await page.goto(`${server.url}/`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/console');
    await page.locator('#admin-token').fill('not-the-admin-token-0123456789abcdef');
    await page.keyboard.press('Enter');
    await poll(() => text('.error')).toMatch(/not the admin token/i);
    expect(await page.locator('#admin-token').inputValue()).toBe('');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await axeViolations()).toEqual([]);
    await shot('sign-in');
  });

  it('signs in with the admin token, kept in sessionStorage only: no URL, cookie or page text', async () => {
    await page.locator('#admin-token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('nav[aria-label="Console"]').waitFor();
    expect(await page.evaluate(`sessionStorage.getItem('baton.console.adminToken')`)).toBe(
      ADMIN_TOKEN,
    );
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.content()).not.toContain(ADMIN_TOKEN);
    // The heading of the first page has the focus, as after a page load.
    await poll(() => page.evaluate('document.activeElement?.tagName')).toBe('H1');
  });

  it('finds the sessions of a subject, and one session by its id', async () => {
    const first = await mintSession(server.url, { subject: 'alice', scope: 'read write' });
    await mintSession(server.url, { subject: 'alice', clientId: 'default' });
    await mintSession(server.url, { subject: 'bob' });
    await refreshAt(server.url, first.refreshToken);
    await page.locator('#session-query').fill('alice');
    await page.locator('form.search button').click();
    await page.locator('table.sessions tbody tr').first().waitFor();
    await poll(() => page.locator('table.sessions tbody tr').count()).toBe(2);
    await poll(() => text('.summary')).toBe('2 sessions of alice, 2 active');
    const headers = await page.locator('table.sessions thead th').allInnerTexts();
    for (const column of [
      'Client',
      'Scope',
      'Created',
      'Last active',
      'Idle expiry',
      'Absolute expiry',
      'Generation',
      'State',
      'Revoke reason',
    ])
      expect(headers).toContain(column);
    const row = page.locator(`tr[data-session="${first.sessionId}"]`);
    await poll(() => row.locator('td[data-label="Generation"]').innerText()).toBe('1');
    await poll(() => row.locator('td[data-label="Scope"]').innerText()).toBe('read write');
    await poll(() => row.locator('td[data-label="Absolute expiry"]').innerText()).toMatch(
      /^in (29|30) d/,
    );
    expect(await axeViolations()).toEqual([]);
    await shot('sessions');

    await page.locator('#session-query').fill(first.sessionId);
    await page.keyboard.press('Enter');
    await page.locator(`tr[data-session="${first.sessionId}"]`).waitFor();
    await poll(() => page.locator('table.sessions tbody tr').count()).toBe(1);
  });

  it('revokes one session from the keyboard; its refresh token then fails over /oauth/token', async () => {
    const target = await mintSession(server.url, { subject: 'dora' });
    await mintSession(server.url, { subject: 'dora' });
    await page.locator('#session-query').fill('dora');
    await page.keyboard.press('Enter');
    const button = page.getByRole('button', { name: `Revoke session ${target.sessionId}` });
    await button.focus();
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    // Cancel holds the focus: Enter alone never destroys.
    await poll(() => activeText()).toBe('Cancel');
    expect(await axeViolations()).toEqual([]);
    await page.keyboard.press('Tab');
    await poll(() => activeText()).toBe('Revoke session');
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await announced(`Revoked session ${target.sessionId}`);
    const row = page.locator(`tr[data-session="${target.sessionId}"]`);
    await poll(() => row.locator('td[data-label="State"]').innerText()).toBe('revoked');
    await poll(() => row.locator('td[data-label="Revoke reason"]').innerText()).toBe('admin');
    // The button is gone with the session's life: the focus goes to the page's heading.
    await poll(() => page.evaluate('document.activeElement?.tagName')).toBe('H1');

    const refused = await refreshAt(server.url, target.refreshToken);
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
  });

  it('revokes every session of a subject after a confirmation that names how many', async () => {
    await mintSession(server.url, { subject: 'erin' });
    await mintSession(server.url, { subject: 'erin' });
    await mintSession(server.url, { subject: 'erin' });
    await page.locator('#session-query').fill('erin');
    await page.keyboard.press('Enter');
    await page.locator('table.sessions tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Revoke all of erin' }).click();
    const dialog = page.locator('dialog[open]');
    await poll(() => dialog.locator('h2').innerText()).toBe('Revoke all sessions of erin?');
    await dialog.getByRole('button', { name: 'Revoke 3 sessions' }).click();
    await announced('Revoked 3 sessions of erin.');
    const listed = await admin(server.url, 'GET', '/admin/sessions?subject=erin');
    const sessions = (listed.json as { sessions: { status: string }[] }).sessions;
    expect(sessions.map((session) => session.status)).toEqual(['revoked', 'revoked', 'revoked']);
  });

  it('shows a reuse in the live stream within 2 s, and opens its session from there', async () => {
    await go('events');
    await poll(() => text('.stream-state')).toMatch(/^Live/);
    // Rule 3: a used refresh token presented after its successor was used is a theft.
    const stolen = await mintSession(server.url, { subject: 'frank' });
    const second = await refreshAt(server.url, stolen.refreshToken);
    const third = await refreshAt(
      server.url,
      (second.json as { refresh_token: string }).refresh_token,
    );
    expect(third.status).toBe(200);
    const reused = await refreshAt(server.url, stolen.refreshToken);
    expect(reused.json).toMatchObject({ reason: 'reused' });
    const row = page.locator(`table.events tr.reused:has(code:text("${stolen.sessionId}"))`);
    await row.waitFor({ timeout: 2000 });
    await poll(() => row.locator('td[data-label="Type"]').innerText()).toContain('Reuse detected');
    await poll(() => row.locator('td[data-label="Subject"]').innerText()).toBe('frank');
    await poll(() => text('.alert')).toMatch(/Reuse detected/);
    expect(await axeViolations()).toEqual([]);
    await shot('events');

    await row.getByRole('link', { name: `Open session ${stolen.sessionId}` }).click();
    const session = page.locator(`tr[data-session="${stolen.sessionId}"]`);
    await session.waitFor();
    await poll(() => session.locator('td[data-label="State"]').innerText()).toBe('revoked');
    await poll(() => session.locator('td[data-label="Revoke reason"]').innerText()).toBe('reuse');
    expect((await getSession(server.url, stolen.sessionId)).revokeReason).toBe('reuse');
  });

  it('filters the stream by type, subject and client on the server', async () => {
    await go('events');
    await page.locator('#filter-type').selectOption('session.revoked');
    await page.locator('#filter-subject').fill('gina');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await poll(() => text('.stream-state')).toMatch(/^Live/);
    const kept = await mintSession(server.url, { subject: 'gina' });
    const other = await mintSession(server.url, { subject: 'hugo' });
    await admin(server.url, 'DELETE', `/admin/sessions/${other.sessionId}`);
    await admin(server.url, 'DELETE', `/admin/sessions/${kept.sessionId}`);
    await page.locator(`table.events tr:has(code:text("${kept.sessionId}"))`).waitFor();
    const subjects = await page.locator('table.events td[data-label="Subject"]').allInnerTexts();
    expect(new Set(subjects)).toEqual(new Set(['gina']));
    await page.locator('#filter-type').selectOption('');
    await page.locator('#filter-subject').fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
  });

  it('charts refreshes per minute by outcome, and counts the reuse detection', async () => {
    await go('activity');
    await page.locator('.legend').waitFor();
    const count = (name: string) => text(`[data-outcome="${name}"] .count`);
    await expect.poll(() => count('reused'), { timeout: 3000 }).toBe('1');
    await poll(() => count('reuseDetections')).toBe('1');
    // alice's refresh and frank's two; the revoked dora's and frank's stolen token failed.
    await poll(() => count('ok')).toBe('3');
    await poll(() => count('invalid')).toBe('1');
    const bars = await page.locator('svg rect.bar-reused').count();
    expect(bars).toBe(1);
    expect(await axeViolations()).toEqual([]);
    await shot('activity');
  });

  it('rotates the signing key after a confirmation; Escape cancels and gives the focus back', async () => {
    await go('keys');
    await page.locator('table.keys tbody tr').first().waitFor();
    const before = (await admin(server.url, 'GET', '/admin/keys')).json as {
      keys: { kid: string; status: string }[];
    };
    expect(before.keys).toHaveLength(1);
    const rotate = page.getByRole('button', { name: 'Rotate signing key' });
    await rotate.click();
    await page.locator('dialog[open]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await poll(() => activeText()).toBe('Rotate signing key');
    expect(
      ((await admin(server.url, 'GET', '/admin/keys')).json as typeof before).keys,
    ).toHaveLength(1);

    await rotate.click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Rotate key' }).click();
    await page.locator('table.keys tbody tr').nth(1).waitFor();
    const after = ((await admin(server.url, 'GET', '/admin/keys')).json as typeof before).keys;
    const active = after.find((key) => key.status === 'active');
    expect(active?.kid).not.toBe(before.keys[0]?.kid);
    await announced(`Rotated: ${active?.kid ?? ''}`);
    await poll(() =>
      page
        .locator(`tr[data-kid="${before.keys[0]?.kid ?? ''}"] td[data-label="State"]`)
        .innerText(),
    ).toBe('retired');
    expect(await axeViolations()).toEqual([]);
    await shot('keys');
  });

  it('adds a confidential client and shows its secret once', async () => {
    await go('clients');
    await page.getByRole('button', { name: 'Add client' }).click();
    const dialog = page.locator('dialog[open]');
    await poll(() => page.evaluate('document.activeElement?.id')).toBe('client-id');
    await dialog.getByLabel('Client id').fill('web');
    await dialog.getByLabel('Confidential (issue a secret)').check();
    await dialog.getByLabel('Access-token lifetime').fill('300');
    await dialog.getByLabel('Allowed origins').fill('https://app.example.com');
    expect(await axeViolations()).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 1040 });
    await page.screenshot({ path: join(IMAGES, 'console-client-form.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await dialog.getByRole('button', { name: 'Add client' }).click();
    const secret = await page.locator('#client-secret').innerText();
    expect(secret).toMatch(/^cs_/);
    // The secret works: introspection accepts the client's credentials.
    const introspected = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`web:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ token: 'x' }),
    });
    expect(introspected.status).toBe(200);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(secret);
    const row = page.locator('tr[data-client="web"]');
    await poll(() => row.locator('td[data-label="Type"]').innerText()).toBe('confidential');
    await poll(() => row.locator('td[data-label="Access"]').innerText()).toBe('5 min');
  });

  it("edits a client's lifetimes, keeping its secret", async () => {
    await page.getByRole('button', { name: 'Edit client web' }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByLabel('Access-token lifetime').fill('600');
    await dialog.getByLabel('Idle lifetime').fill('3600');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await announced('Saved client web.');
    const row = page.locator('tr[data-client="web"]');
    await poll(() => row.locator('td[data-label="Access"]').innerText()).toBe('10 min');
    await poll(() => row.locator('td[data-label="Idle"]').innerText()).toBe('1 h');
    const clients = (await admin(server.url, 'GET', '/admin/clients')).json as {
      clients: { id: string; accessTtl: number; idleTtl: number; confidential: boolean }[];
    };
    expect(clients.clients.find((client) => client.id === 'web')).toMatchObject({
      accessTtl: 600,
      idleTtl: 3600,
      confidential: true,
      allowedOrigins: ['https://app.example.com'],
    });
    expect(await axeViolations()).toEqual([]);
    await shot('clients');
  });

  it('removes a client after a confirmation that names its sessions', async () => {
    await mintSession(server.url, { subject: 'ivan', clientId: 'web' });
    await page.getByRole('button', { name: 'Remove client web' }).click();
    const confirm = page.locator('dialog[open]').getByRole('button', {
      name: 'Remove and revoke 1 session',
    });
    await confirm.click();
    await announced('Removed client web; 1 session revoked.');
    await poll(() => page.locator('tr[data-client="web"]').count()).toBe(0);
    const clients = (await admin(server.url, 'GET', '/admin/clients')).json as {
      clients: { id: string }[];
    };
    expect(clients.clients.map((client) => client.id)).toEqual(['default']);
  });

  it('fits a 375 px phone on every page: no horizontal scroll', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    const widths: Record<string, unknown> = {};
    const ready: Record<string, string> = {
      sessions: 'table.sessions tbody tr',
      events: '.stream-state',
      activity: '.chart',
      keys: 'table.keys tbody tr',
      clients: 'table.clients tbody tr',
    };
    for (const [name, selector] of Object.entries(ready)) {
      await page.goto(`${server.url}/console#/${name}${name === 'sessions' ? '?q=alice' : ''}`);
      await page.locator(selector).first().waitFor();
      widths[name] = await page.evaluate('document.scrollingElement.scrollWidth');
      if (name === 'sessions') await shot('phone');
    }
    expect(widths).toEqual({ sessions: 375, events: 375, activity: 375, keys: 375, clients: 375 });
    expect(await axeViolations()).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('ran all of that without a script error', () => {
    expect(pageErrors).toEqual([]);
    // The browser logs the refused sign-in's 401 itself; nothing else may be logged.
    expect(consoleErrors.filter((line) => !/status of 401 \(Unauthorized\)/.test(line))).toEqual(
      [],
    );
  });

  it('works on every page under its own Content-Security-Policy, with no violation', async () => {
    const strict = await chromium.launchPersistentContext(profiles.make(), {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
    try {
      const tab = strict.pages()[0] ?? (await strict.newPage());
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      tab.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      // Runs outside the page's policy: records every violation the policy reports.
      await tab.addInitScript({
        content: `window.violations = [];
          document.addEventListener('securitypolicyviolation', (event) => {
            window.violations.push(event.effectiveDirective + ' ' + event.blockedURI);
          });`,
      });
      await tab.goto(`${server.url}/console`);
      await tab.locator('#admin-token').fill(ADMIN_TOKEN);
      await tab.keyboard.press('Enter');
      const ready: [string, string][] = [
        ['sessions?q=frank', 'table.sessions tbody tr'],
        ['events', 'table.events tbody tr'],
        ['activity', 'svg rect.bar-ok'],
        ['keys', 'table.keys tbody tr'],
        ['clients', 'table.clients tbody tr'],
      ];
      await tab.locator('nav[aria-label="Console"]').waitFor({ timeout: 5000 });
      for (const [route, selector] of ready) {
        await tab.goto(`${server.url}/console#/${route}`);
        await tab.locator(selector).first().waitFor({ timeout: 5000 });
      }
      await tab.getByRole('button', { name: 'Add client' }).click();
      await tab.locator('dialog[open]').waitFor();
      await tab.keyboard.press('Escape');
      expect(await tab.evaluate('window.violations')).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  it('says how long to wait once the admin failure budget is spent', async () => {
    const wrong = 'wrong-admin-token-0123456789abcdef0123456789';
    let status = 0;
    for (let attempt = 0; attempt < 40 && status !== 429; attempt++)
      status = (await admin(server.url, 'GET', '/admin/keys', undefined, wrong)).status;
    expect(status).toBe(429);
    const fresh = await context.newPage();
    await fresh.goto(`${server.url}/console`);
    await fresh.locator('#admin-token').fill(wrong);
    await fresh.keyboard.press('Enter');
    await poll(() => fresh.locator('.error').innerText()).toMatch(
      /^Too many attempts, try again in \d+ s\.$/,
    );
    await fresh.close();
  });
});
