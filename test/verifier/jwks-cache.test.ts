import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createVerifier,
  type Verifier,
  type VerifierOptions,
} from '../../src/client/verifier/index.js';
import {
  batonLikeClaims,
  createLocalKey,
  createTestClock,
  signLocal,
  startLocalIssuer,
  type LocalIssuer,
  type LocalKey,
  type TestClock,
} from './local-issuer.js';

/**
 * How the verifier fetches and keeps the issuer's JWKS, observed on a local JWKS server that
 * counts its requests and can fail or hang: misses are throttled, outages keep the last good
 * keys for a bounded time, slow answers time out.
 */

let issuer: LocalIssuer;
let key: LocalKey;
let clock: TestClock;
let verifier: Verifier;
const now = Math.floor(Date.now() / 1000);

beforeEach(async () => {
  key = await createLocalKey('EdDSA', 'k1');
  issuer = await startLocalIssuer([key]);
  clock = createTestClock(now * 1000);
});

afterEach(async () => {
  verifier.close();
  await issuer.close();
});

function start(options: Partial<VerifierOptions> = {}): Verifier {
  verifier = createVerifier({
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    clock,
    jwksCooldown: 5,
    ...options,
  });
  return verifier;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const token = (signer: LocalKey = key) =>
  signLocal(signer, batonLikeClaims(issuer.issuer, Math.floor(clock.now() / 1000)));

async function junkTokens(count: number): Promise<string[]> {
  const junk = await createLocalKey('EdDSA', 'junk');
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      signLocal(
        { ...junk, kid: `junk-${i}-${Math.random()}` },
        batonLikeClaims(issuer.issuer, now),
      ),
    ),
  );
}

describe('unknown kids', () => {
  it('refetch the JWKS at most once per cooldown, however many arrive', async () => {
    start();
    await verifier.verify(await token());
    expect(issuer.hits()).toBe(1);
    clock.advance(5);
    const storm = await junkTokens(60);
    const codes = await Promise.all(storm.slice(0, 30).map((t) => codeOf(verifier.verify(t))));
    for (const t of storm.slice(30)) codes.push(await codeOf(verifier.verify(t)));
    expect(new Set(codes)).toEqual(new Set(['unknown_key']));
    expect(issuer.hits()).toBe(2);
    clock.advance(4.9);
    await Promise.all(storm.map((t) => codeOf(verifier.verify(t))));
    expect(issuer.hits()).toBe(2);
    clock.advance(0.1);
    await Promise.all(storm.map((t) => codeOf(verifier.verify(t))));
    expect(issuer.hits()).toBe(3);
    // Tokens of the known key are verified throughout without a fetch.
    await expect(verifier.verify(await token())).resolves.toMatchObject({ sub: 'alice' });
    expect(issuer.hits()).toBe(3);
  });

  it('pick up a key the issuer publishes later, once the cooldown since the last fetch has passed', async () => {
    start();
    await verifier.verify(await token());
    const next = await createLocalKey('EdDSA', 'k2');
    issuer.publish({ keys: [key.publicJwk, next.publicJwk] });
    const fresh = await token(next);
    expect(await codeOf(verifier.verify(fresh))).toBe('unknown_key');
    expect(issuer.hits()).toBe(1);
    clock.advance(5);
    await expect(verifier.verify(fresh)).resolves.toMatchObject({ sub: 'alice' });
    expect(issuer.hits()).toBe(2);
  });

  it('stop trusting a key the issuer no longer publishes, after the next refetch', async () => {
    start({ jwksMaxAge: 60 });
    await verifier.verify(await token());
    issuer.publish({ keys: [] });
    clock.advance(61);
    // Past jwksMaxAge the JWKS is refreshed in the background, the current keys still serve.
    await expect(verifier.verify(await token())).resolves.toMatchObject({ sub: 'alice' });
    await expect.poll(() => verifier.status().jwks.kids).toEqual([]);
    expect(await codeOf(verifier.verify(await token()))).toBe('unknown_key');
  });
});

describe('outages', () => {
  it('keep serving the last good keys while refetches fail, for jwksMaxStale', async () => {
    start({ jwksMaxAge: 60, jwksMaxStale: 600 });
    const before = await token();
    await verifier.verify(before);
    issuer.setMode('error');
    clock.advance(61);
    await expect(verifier.verify(before)).resolves.toMatchObject({ sub: 'alice' });
    await expect.poll(() => issuer.hits()).toBe(2);
    clock.advance(300);
    await expect(verifier.verify(await token())).resolves.toMatchObject({ sub: 'alice' });
    expect(verifier.status().jwks.fetchedAt).toBe(now);
    clock.advance(240);
    expect(await codeOf(verifier.verify(await token()))).toBe('unavailable');
    issuer.setMode('ok');
    clock.advance(5);
    await expect(verifier.verify(await token())).resolves.toMatchObject({ sub: 'alice' });
  });

  it('refuse with unavailable while no JWKS was ever fetched, retrying once per cooldown', async () => {
    issuer.setMode('error');
    start();
    const t = await token();
    expect(await codeOf(verifier.verify(t))).toBe('unavailable');
    expect(await codeOf(verifier.verify(t))).toBe('unavailable');
    expect(issuer.hits()).toBe(1);
    issuer.setMode('ok');
    clock.advance(5);
    await expect(verifier.verify(t)).resolves.toMatchObject({ sub: 'alice' });
    expect(issuer.hits()).toBe(2);
  });

  it('time out a JWKS fetch that never answers', async () => {
    issuer.setMode('hang');
    start({ timeout: 0.2 });
    expect(await codeOf(verifier.verify(await token()))).toBe('unavailable');
    expect(issuer.hits()).toBe(1);
  });

  it('keep the last good keys when a refetch answers something that is not a JWKS', async () => {
    start({ jwksMaxAge: 60 });
    await verifier.verify(await token());
    issuer.publish({ nope: true });
    clock.advance(61);
    await verifier.verify(await token());
    await expect.poll(() => issuer.hits()).toBe(2);
    await expect(verifier.verify(await token())).resolves.toMatchObject({ sub: 'alice' });
    expect(verifier.status().jwks.kids).toEqual(['k1']);
  });
});
