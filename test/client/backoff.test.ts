import { describe, expect, it } from 'vitest';
import { fullJitter, retryAfterMs } from '../../src/client/backoff.js';
import { tokenExpiry } from '../../src/client/token-expiry.js';

describe('backoff', () => {
  it('draws full jitter below a cap that doubles per attempt and stops at 4 s', () => {
    expect(fullJitter(1, () => 0.999)).toBeCloseTo(400, -1);
    expect(fullJitter(2, () => 0.999)).toBeCloseTo(800, -1);
    expect(fullJitter(9, () => 0.999)).toBeLessThanOrEqual(4000);
    expect(fullJitter(3, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date, and ignores anything else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(retryAfterMs('-3', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBe(0);
  });
});

describe('token expiry', () => {
  const jwt = (claims: object): string =>
    `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

  it('counts expires_in from when the refresh was sent, a second early', () => {
    expect(tokenExpiry('x', 900, 1_000_000, null, 1_050_000, 0)).toBe(1_000_000 + 899_000);
  });

  it("moves the token's exp onto the local clock by the server Date offset", () => {
    const serverNow = Date.parse('2026-01-01T12:00:00Z');
    const localNow = serverNow - 3_600_000; // the local clock is an hour behind
    const token = jwt({ exp: serverNow / 1000 + 600 });
    const expiry = tokenExpiry(
      token,
      undefined,
      localNow,
      new Date(serverNow).toUTCString(),
      localNow,
      0,
    );
    expect(expiry).toBe(localNow + 600_000 - 1000);
  });

  it('falls back to the previous lifetime when neither expires_in nor exp is there', () => {
    expect(tokenExpiry('opaque', undefined, 5000, null, 6000, 60_000)).toBe(65_000);
  });
});
