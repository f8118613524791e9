import { describe, expect, it } from 'vitest';
import {
  bearerChallenge,
  readBearerToken,
  VERIFIER_ERROR_CODES,
  VerifierError,
  type VerifierErrorCode,
} from '../../src/client/verifier/index.js';

/** The Authorization header reader (RFC 6750 §2.1) and the challenge it leads to (§3). */

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    return (error as VerifierError).code;
  }
}

describe('readBearerToken', () => {
  it('reads the token of a Bearer header, in any case of the scheme', () => {
    expect(readBearerToken('Bearer abc.DEF-_~+/=')).toBe('abc.DEF-_~+/=');
    expect(readBearerToken('bearer  abc ')).toBe('abc');
    expect(readBearerToken('BEARER abc')).toBe('abc');
  });

  it('calls no header, or one of another scheme, a missing token', () => {
    for (const header of [undefined, '', 'Basic YTpi', 'Bearerabc', 'Token abc'])
      expect(
        codeOf(() => readBearerToken(header)),
        String(header),
      ).toBe('missing_token');
  });

  it('calls repeated headers and bad bearer values an invalid request', () => {
    for (const header of [
      ['Bearer a', 'Bearer b'],
      'Bearer',
      'Bearer ',
      'Bearer a b',
      'Bearer a,b',
    ])
      expect(
        codeOf(() => readBearerToken(header)),
        String(header),
      ).toBe('invalid_request');
    expect(codeOf(() => readBearerToken(`Bearer ${'a'.repeat(9000)}`))).toBe('invalid_request');
  });
});

describe('bearerChallenge', () => {
  it('answers a refused token 401 with error="invalid_token" and a safe description', () => {
    const challenge = bearerChallenge(new VerifierError('expired'), { realm: 'api' });
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the access token has expired"',
    );
    expect(challenge.body).toEqual({
      error: 'invalid_token',
      error_description: 'the access token has expired',
      code: 'expired',
    });
  });

  it('names no error when there was no token (RFC 6750 §3.1)', () => {
    const challenge = bearerChallenge(new VerifierError('missing_token'));
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers insufficient_scope 403 with the scopes needed', () => {
    const challenge = bearerChallenge(new VerifierError('insufficient_scope'), {
      scope: ['orders:read', 'orders:write'],
    });
    expect(challenge.status).toBe(403);
    expect(challenge.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(challenge.headers['www-authenticate']).toContain('scope="orders:read orders:write"');
  });

  it('answers unavailable 503 with Retry-After and no challenge', () => {
    const challenge = bearerChallenge(new VerifierError('unavailable'), { retryAfter: 2.5 });
    expect(challenge.status).toBe(503);
    expect(challenge.headers['retry-after']).toBe('3');
    expect(challenge.headers['www-authenticate']).toBeUndefined();
  });

  it('keeps quotes and backslashes of a realm out of the header', () => {
    const challenge = bearerChallenge(new VerifierError('revoked'), { realm: 'a"b\\c\r\n' });
    expect(challenge.headers['www-authenticate']).toMatch(/^Bearer realm="abc", error=/);
  });

  it('has, for every code, a description of only characters RFC 6750 §3 allows', () => {
    for (const code of Object.keys(VERIFIER_ERROR_CODES) as VerifierErrorCode[]) {
      const error = new VerifierError(code);
      expect(error.message).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
      expect(bearerChallenge(error).status).toBe(VERIFIER_ERROR_CODES[code].status);
    }
  });
});
