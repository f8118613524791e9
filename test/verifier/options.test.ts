import { describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from '../../src/client/verifier/index.js';

/** Misconfiguration fails when the verifier is created, with one line naming the option. */

const base: VerifierOptions = { issuer: 'https://auth.example.com' };

describe('createVerifier options', () => {
  const cases: [string, Partial<VerifierOptions> | Record<string, unknown>, RegExp][] = [
    ['no issuer', { issuer: undefined }, /issuer is required/],
    ['a relative issuer', { issuer: '/auth' }, /issuer must be an absolute URL/],
    ['a non-http issuer', { issuer: 'ftp://auth.example.com' }, /issuer must be http/],
    ['HS256', { algorithms: ['HS256'] }, /HS256 is not accepted/],
    ['none', { algorithms: ['none'] }, /none is not accepted/],
    ['no algorithms', { algorithms: [] }, /non-empty list/],
    ['an empty audience', { audience: '' }, /audience/],
    ['a negative leeway', { leeway: -1 }, /leeway must be a number of seconds/],
    ['a leeway that is not a number', { leeway: '5' }, /leeway/],
    ['an unknown revocation mode', { checkRevocation: 'poll' }, /checkRevocation must be/],
    ['the feed without credentials', { checkRevocation: 'feed' }, /'feed' needs credentials/],
    [
      'introspection without credentials',
      { checkRevocation: 'introspect' },
      /'introspect' needs credentials/,
    ],
    [
      'a client id without a secret',
      { checkRevocation: 'feed', credentials: { clientId: 'api', clientSecret: '' } },
      /clientSecret/,
    ],
    [
      'an empty admin token',
      { checkRevocation: 'feed', credentials: { adminToken: '' } },
      /adminToken/,
    ],
    [
      'a list age not above the poll interval',
      {
        checkRevocation: 'feed',
        credentials: { adminToken: 't' },
        revocationPollInterval: 10,
        revocationMaxAge: 10,
      },
      /revocationMaxAge must be longer/,
    ],
    ['a bad jwksUri', { jwksUri: 'jwks.json' }, /jwksUri must be an absolute URL/],
    ['a clock without now', { clock: {} }, /clock/],
  ];
  for (const [name, options, message] of cases) {
    it(`refuses ${name}`, () => {
      expect(() => createVerifier({ ...base, ...options } as VerifierOptions)).toThrow(message);
      expect(() => createVerifier({ ...base, ...options } as VerifierOptions)).toThrow(TypeError);
    });
  }
});
