import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/cli/config.js';
import { DIALECT_NAMES } from '../../src/core/dialects.js';
import {
  ADMIN_TOKEN,
  SECRET,
  cleanupServers,
  makeTempDir,
  runBaton,
  type EnvOverrides,
  type RunResult,
} from '../helpers/server-process.js';

/**
 * BATON_DIALECTS (docs/dialects.md, "Turning dialects on"): a comma list of dialect names or
 * `all`, each optionally followed by `:/prefix` (`/` then letters, digits and `._~-/`, no trailing
 * slash, at most 100 characters); an unknown name or a malformed prefix stops start-up with one
 * line. And the per-client switch of the CLI: `baton clients add <id> --dialects …`.
 */

afterAll(cleanupServers);

/** The dialect mounts `BATON_DIALECTS=value` configures. */
const mounts = (value: string | undefined) =>
  loadConfig(value === undefined ? {} : { BATON_DIALECTS: value }).dialects;

const ALL = (prefix: string) => DIALECT_NAMES.map((name) => ({ name, prefix }));

/** Asserts that `BATON_DIALECTS=value` stops start-up with one line naming BATON_DIALECTS. */
function expectRefused(value: string, says?: RegExp): void {
  let thrown: unknown;
  try {
    loadConfig({ BATON_DIALECTS: value });
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `BATON_DIALECTS=${JSON.stringify(value)} was accepted`).toBeInstanceOf(
    ConfigError,
  );
  const message = (thrown as ConfigError).message;
  expect(message).toMatch(/^BATON_DIALECTS: /);
  expect(message).not.toContain('\n');
  if (says !== undefined) expect(message).toMatch(says);
}

describe('loadConfig: BATON_DIALECTS', () => {
  it('mounts no dialect when unset or empty', () => {
    expect(mounts(undefined)).toEqual([]);
    expect(mounts('')).toEqual([]);
    expect(mounts('   ')).toEqual([]);
  });

  it('all: the five dialects at their documented paths', () => {
    expect(mounts('all')).toEqual(ALL(''));
    expect(mounts('all').map((mount) => mount.name)).toEqual([
      'payabli',
      'transak',
      'sevenG',
      'aisquare',
      'adid',
    ]);
  });

  it('a list mounts exactly the listed dialects', () => {
    expect(mounts('payabli,adid')).toEqual([
      { name: 'payabli', prefix: '' },
      { name: 'adid', prefix: '' },
    ]);
    expect(mounts('sevenG')).toEqual([{ name: 'sevenG', prefix: '' }]);
    expect(
      mounts('adid,aisquare,sevenG,transak,payabli')
        .map((mount) => mount.name)
        .sort(),
    ).toEqual([...DIALECT_NAMES].sort());
  });

  it('name:/prefix mounts that dialect under the prefix', () => {
    expect(mounts('payabli:/gateway')).toEqual([{ name: 'payabli', prefix: '/gateway' }]);
    // The documented example: a prefix for one entry only.
    expect(mounts('payabli:/gateway,transak')).toEqual([
      { name: 'payabli', prefix: '/gateway' },
      { name: 'transak', prefix: '' },
    ]);
    expect(mounts('adid:/a/b-c/d_e.f~g/V2')).toEqual([
      { name: 'adid', prefix: '/a/b-c/d_e.f~g/V2' },
    ]);
  });

  it('all:/prefix mounts the five under the prefix', () => {
    expect(mounts('all:/compat')).toEqual(ALL('/compat'));
  });

  it('ignores whitespace around entries', () => {
    expect(mounts(' payabli , adid ')).toEqual([
      { name: 'payabli', prefix: '' },
      { name: 'adid', prefix: '' },
    ]);
    expect(mounts('\tpayabli:/gateway ,  transak\n')).toEqual([
      { name: 'payabli', prefix: '/gateway' },
      { name: 'transak', prefix: '' },
    ]);
    expect(mounts('  all:/compat  ')).toEqual(ALL('/compat'));
  });

  it('accepts a prefix of exactly 100 characters', () => {
    const prefix = `/${'p'.repeat(99)}`;
    expect(mounts(`aisquare:${prefix}`)).toEqual([{ name: 'aisquare', prefix }]);
  });

  it('is read from a --config file too, and the environment wins over it', () => {
    const file = join(makeTempDir(), 'baton.json');
    writeFileSync(file, JSON.stringify({ BATON_DIALECTS: 'payabli:/from-file' }));
    expect(loadConfig({}, file).dialects).toEqual([{ name: 'payabli', prefix: '/from-file' }]);
    expect(loadConfig({ BATON_DIALECTS: 'adid' }, file).dialects).toEqual([
      { name: 'adid', prefix: '' },
    ]);
    writeFileSync(file, JSON.stringify({ BATON_DIALECTS: 'bogus' }));
    expect(() => loadConfig({}, file)).toThrow(/^BATON_DIALECTS: unknown dialect "bogus"/);
  });

  describe('refuses, with one line naming BATON_DIALECTS', () => {
    it.each([
      ['an unknown name', 'bogus', /unknown dialect "bogus"/],
      ['an unknown name beside known ones', 'payabli,bogus', /unknown dialect "bogus"/],
      ['a name in the wrong case', 'Payabli', /unknown dialect "Payabli"/],
      ['sevenG in lower case', 'seveng', /unknown dialect "seveng"/],
      ['ALL in upper case', 'ALL', /unknown dialect "ALL"/],
      ['an empty entry', 'payabli,,adid', /unknown dialect ""/],
      ['a trailing comma', 'payabli,', /unknown dialect ""/],
      ['a prefix without a name', ':/gateway', /unknown dialect ""/],
      ['an unknown name with a prefix', 'bogus:/gateway', /unknown dialect "bogus"/],
    ])('%s (%j)', (_label, value, says) => expectRefused(value, says));

    it.each([
      ['no leading slash', 'payabli:gateway'],
      ['a trailing slash', 'payabli:/gateway/'],
      ['only a slash', 'payabli:/'],
      ['a space inside', 'payabli:/gate way'],
      ['an empty segment', 'payabli:/gate//way'],
      ['a percent-escape', 'payabli:/gate%20way'],
      ['a query', 'payabli:/gateway?x=1'],
      ['a fragment', 'payabli:/gateway#x'],
      ['a backslash', 'payabli:/gate\\way'],
      ['a colon inside', 'payabli:/gate:way'],
      ['non-ASCII letters', 'payabli:/gätewáy'],
      ['a prefix of 101 characters', `payabli:/${'p'.repeat(100)}`],
      ['all with a trailing slash', 'all:/compat/'],
      ['all without a leading slash', 'all:compat'],
    ])('a prefix with %s (%j)', (_label, value) =>
      expectRefused(value, /prefix of "(payabli|all)" must be \//),
    );

    // The documented form is `name:/prefix`: a colon without a prefix is a malformed prefix.
    it('a colon with no prefix ("payabli:")', () => expectRefused('payabli:'));

    // RFC 3986 clients (fetch, curl, browsers, gateways) remove dot segments before sending, so a
    // route mounted under `/gateway/..` or `/./x` could never be reached at the path the
    // operator wrote, and a `..` segment invites path confusion between a gateway and Baton.
    it.each([
      ['a .. segment', 'payabli:/gateway/..'],
      ['a leading .. segment', 'payabli:/../gateway'],
      ['a prefix that is only ..', 'all:/..'],
      ['a . segment', 'payabli:/./gateway'],
    ])('a prefix with %s (%j)', (_label, value) => {
      // What a client sends for a URL under that prefix: not the path the route is mounted at.
      const prefix = value.slice(value.indexOf(':') + 1);
      expect(new URL(`http://baton.test${prefix}/api/User/authrefresh`).pathname).not.toBe(
        `${prefix}/api/User/authrefresh`,
      );
      expectRefused(value, /prefix/);
    });

    it.each([
      ['the same name twice', 'payabli,payabli', /payabli is listed more than once/],
      [
        'the same name at two prefixes',
        'payabli:/a,payabli:/b',
        /payabli is listed more than once/,
      ],
      ['all and a name', 'all,adid', /adid is listed more than once/],
      ['a name and all', 'transak,all:/compat', /transak is listed more than once/],
      ['all twice', 'all,all', /payabli is listed more than once/],
    ])('%s (%j)', (_label, value, says) => expectRefused(value, says));
  });
});

// ---------------------------------------------------------------------------------------------
// The CLI's per-client switch, against a temporary SQLite store.

const storeEnv = (path: string): EnvOverrides => ({
  BATON_STORE: `sqlite:${path}`,
  BATON_ADMIN_TOKEN: ADMIN_TOKEN,
  BATON_SECRET: SECRET,
});

const lines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

/** A run that must have succeeded. */
function ok(result: RunResult): RunResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return result;
}

describe('baton clients add --dialects', () => {
  it('stores the list; clients list --json shows it (none → [], not given → null)', async () => {
    const env = storeEnv(join(makeTempDir(), 'baton.db'));
    const [web, closed] = await Promise.all([
      runBaton(['clients', 'add', 'web', '--dialects', 'payabli,adid'], { env }),
      runBaton(['clients', 'add', 'closed', '--dialects', 'none'], { env }),
    ]);
    const added = JSON.parse(ok(web).stdout) as {
      client: { id: string; dialects: unknown };
    };
    expect(added.client).toMatchObject({ id: 'web', dialects: ['payabli', 'adid'] });
    expect(JSON.parse(ok(closed).stdout)).toMatchObject({
      client: { id: 'closed', dialects: [] },
    });

    const [spaced, list] = await Promise.all([
      runBaton(['clients', 'add', 'spaced', '--dialects', ' sevenG , aisquare '], { env }),
      runBaton(['clients', 'list', '--json'], { env }),
    ]);
    ok(spaced);
    const clients = JSON.parse(ok(list).stdout) as {
      id: string;
      dialects: string[] | null;
    }[];
    const byId = Object.fromEntries(clients.map((client) => [client.id, client.dialects]));
    expect(byId.web).toEqual(['payabli', 'adid']);
    expect(byId.closed).toEqual([]);
    // The default client was created without a list: every mounted dialect (it is public).
    expect(byId.default).toBeNull();

    const final = JSON.parse(ok(await runBaton(['clients', 'list', '--json'], { env })).stdout) as {
      id: string;
      dialects: string[] | null;
    }[];
    expect(final.find((client) => client.id === 'spaced')?.dialects).toEqual([
      'sevenG',
      'aisquare',
    ]);
  }, 60_000);

  it('--dialects bogus is a usage error (exit 2) that touches no store', async () => {
    const dir = makeTempDir();
    const env = storeEnv(join(dir, 'baton.db'));
    const [bogus, mixed, empty] = await Promise.all([
      runBaton(['clients', 'add', 'web', '--dialects', 'bogus'], { env }),
      runBaton(['clients', 'add', 'web', '--dialects', 'payabli,nope'], { env }),
      runBaton(['clients', 'add', 'web', '--dialects', ''], { env }),
    ]);
    for (const [run, name] of [
      [bogus, 'bogus'],
      [mixed, 'nope'],
      [empty, ''],
    ] as const) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(lines(run.stderr)[0]).toMatch(/--dialects/);
      expect(run.stderr).toContain(`unknown dialect ${JSON.stringify(name)}`);
    }
    expect(existsSync(join(dir, 'baton.db'))).toBe(false);
  }, 60_000);
});
