import { describe, expect, it } from 'vitest';
import {
  createTokenClient,
  localStorageAdapter,
  TokenClientError,
  type TokenClientOptions,
} from '../../src/client/index.js';

// Misconfiguration fails when the client is created, with one clear message and no token in it.

const base: TokenClientOptions = { baseUrl: 'http://127.0.0.1:1', clientId: 'default' };

function configError(options: TokenClientOptions): TokenClientError {
  try {
    createTokenClient(options).close();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenClientError);
    expect((error as TokenClientError).code).toBe('ERR_CONFIG');
    return error as TokenClientError;
  }
  throw new Error('expected ERR_CONFIG');
}

describe('options', () => {
  it.each([
    ['a baseUrl that is not http(s)', { ...base, baseUrl: 'ftp://example.com' }, /baseUrl/],
    ['a missing baseUrl', { ...base, baseUrl: undefined as unknown as string }, /baseUrl/],
    ['an empty clientId', { ...base, clientId: '' }, /clientId/],
    ['an unknown dialect', { ...base, dialect: 'soap' as 'oauth' }, /dialect/],
    ['a negative refreshSkew', { ...base, refreshSkew: -1 }, /refreshSkew/],
    ['a reuseGrace that is not a number', { ...base, reuseGrace: Number.NaN }, /reuseGrace/],
    [
      'tokens without a refresh token where the face needs one',
      { ...base, tokens: { accessToken: 'rt_secret_access' } },
      /refreshToken/,
    ],
  ])('refuses %s', (_, options, message) => {
    const error = configError(options);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('secret');
  });

  it('accepts tokens without a refresh token for the faces that refresh by access token', () => {
    for (const dialect of ['payabli', 'transak'] as const) {
      createTokenClient({ ...base, dialect, tokens: { accessToken: 'a.b.c' } }).close();
    }
  });

  it('refuses a client secret where a document exists (a browser)', () => {
    const globals = globalThis as unknown as Record<string, unknown>;
    globals.document = new EventTarget();
    try {
      expect(configError({ ...base, clientSecret: 'cs_x' }).message).toMatch(/server-side/);
    } finally {
      delete globals.document;
    }
  });

  it('refuses localStorageAdapter() where there is no localStorage', () => {
    expect(() => localStorageAdapter()).toThrow(TokenClientError);
  });

  it('has no session to give when none was given or stored', async () => {
    const client = createTokenClient(base);
    const error = (await client.getAccessToken().catch((e: unknown) => e)) as TokenClientError;
    expect(error.code).toBe('ERR_NO_SESSION');
    client.close();
  });
});
