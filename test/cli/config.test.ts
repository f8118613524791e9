import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/cli/config.js';

// The process configuration: validated values, one clear line naming the variable for a bad one,
// and warnings for what does not stop start-up.

const refusal = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('BATON_TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.0/8, 192.168.1.7', ['10.0.0.0/8', '192.168.1.7']],
    ['::1,fd00::/8', ['::1', 'fd00::/8']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
    ['true', true],
  ])('reads %j as %j', (value, trust) => {
    const env = value === undefined ? {} : { BATON_TRUST_PROXY: value };
    expect(loadConfig(env).trustProxy).toEqual(trust);
  });

  it.each(['maybe', '10.0.0.256', '10.0.0.0/33', '::1/129', 'proxy.example.com', '10.0.0.1/8/1'])(
    'refuses %j with one line naming the variable',
    (value) => {
      const message = refusal({ BATON_TRUST_PROXY: value });
      expect(message).toMatch(/^BATON_TRUST_PROXY must be false, a hop count/);
      expect(message).not.toContain('\n');
    },
  );

  it('warns that true lets any client choose its IP, and says what to set instead', () => {
    expect(loadConfig({}).warnings).toEqual([]);
    const [warning, ...more] = loadConfig({ BATON_TRUST_PROXY: 'true' }).warnings;
    expect(more).toEqual([]);
    expect(warning).toMatch(/BATON_TRUST_PROXY=true trusts the X-Forwarded-For any client sends/);
    expect(warning).toMatch(/hop count/);
  });
});

describe('unknown BATON_* variables', () => {
  it('warns about each, naming the closest known setting', () => {
    expect(
      loadConfig({ BATON_PROT: '9000', BATON_REUSE_GRAC: '5', BATON_TOTALLY_ELSE: 'x', HOME: '/' })
        .warnings,
    ).toEqual([
      'BATON_PROT is not a Baton setting and is ignored; did you mean BATON_PORT?',
      'BATON_REUSE_GRAC is not a Baton setting and is ignored; did you mean BATON_REUSE_GRACE?',
      'BATON_TOTALLY_ELSE is not a Baton setting and is ignored',
    ]);
  });
});

describe('BATON_HOST and BATON_ISSUER', () => {
  it.each(['0.0.0.0', '::'])('refuses to derive the issuer from the wildcard host %s', (host) => {
    const message = refusal({ BATON_HOST: host });
    expect(message).toMatch(/^BATON_ISSUER must be set when BATON_HOST is /);
    expect(loadConfig({ BATON_HOST: host, BATON_ISSUER: 'https://auth.example.com' }).issuer).toBe(
      'https://auth.example.com',
    );
  });

  it('derives the issuer from a concrete host and port', () => {
    expect(loadConfig({ BATON_HOST: '10.1.2.3', BATON_PORT: '9000' }).issuer).toBe(
      'http://10.1.2.3:9000',
    );
  });
});

describe('BATON_WEBHOOK_URL', () => {
  it('needs BATON_WEBHOOK_SECRET of at least 32 characters, which signs every delivery', () => {
    const url = { BATON_WEBHOOK_URL: 'https://hooks.example.com/baton' };
    expect(refusal(url)).toMatch(/^BATON_WEBHOOK_SECRET must be set/);
    expect(refusal({ ...url, BATON_WEBHOOK_SECRET: 'short' })).toMatch(/^BATON_WEBHOOK_SECRET/);
    const secret = 'w'.repeat(32);
    expect(loadConfig({ ...url, BATON_WEBHOOK_SECRET: secret })).toMatchObject({
      webhookUrl: url.BATON_WEBHOOK_URL,
      webhookSecret: secret,
    });
  });
});
