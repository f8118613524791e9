import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_RELOAD_TTL } from '../../src/core/admin-token.js';
import {
  ADMIN_TOKEN,
  SECRET,
  admin,
  cleanupServers,
  makeTempDir,
  ROOT,
  runBaton,
  spawnBaton,
  startServer,
  type EnvOverrides,
  type RunResult,
} from '../helpers/server-process.js';

afterAll(cleanupServers);

/** Environment of a CLI run against the SQLite file `path`. */
const storeEnv = (path: string): EnvOverrides => ({
  BATON_STORE: `sqlite:${path}`,
  BATON_ADMIN_TOKEN: ADMIN_TOKEN,
  BATON_SECRET: SECRET,
});

/** The non-empty lines of a text. */
const lines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

// Each CLI process costs about a second of CPU; the whole file shares three slots, so that the
// concurrent tests below keep a 2-core machine busy without thrashing it.
const SLOTS = 3;
let running = 0;
const waiting: (() => void)[] = [];

async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next();
  }
}

/** One CLI run in a slot. */
const baton = (args: string[], env?: EnvOverrides, cwd?: string): Promise<RunResult> =>
  inSlot(() =>
    runBaton(args, {
      ...(env === undefined ? {} : { env }),
      ...(cwd === undefined ? {} : { cwd }),
    }),
  );

/** CLI runs side by side, each in a slot. */
const runAll = (
  runs: { args: string[]; env?: EnvOverrides; cwd?: string }[],
): Promise<RunResult[]> => Promise.all(runs.map((run) => baton(run.args, run.env, run.cwd)));

/** The command names a help text lists under "Commands:" (without commander's `help`). */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return lines(section)
    .map((line) => /^\s{2}(\S+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

describe.concurrent('baton command line: usage', () => {
  it('prints help and exits 0 for every command and subcommand', async () => {
    const root = await baton(['--help']);
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/^Usage: baton /);
    const commands = listedCommands(root.stdout);
    expect(commands).toEqual(
      expect.arrayContaining([
        'serve',
        'migrate',
        'mint',
        'sessions',
        'keys',
        'clients',
        'events',
        'admin-token',
      ]),
    );

    const helps = await runAll(commands.map((command) => ({ args: [command, '--help'] })));
    const subcommands: string[][] = [];
    helps.forEach((help, i) => {
      const command = commands[i] as string;
      expect({ command, code: help.code }).toEqual({ command, code: 0 });
      expect(help.stdout).toContain(`Usage: baton ${command}`);
      for (const sub of listedCommands(help.stdout)) subcommands.push([command, sub]);
    });
    expect(subcommands).toEqual(
      expect.arrayContaining([
        ['sessions', 'list'],
        ['sessions', 'show'],
        ['sessions', 'revoke'],
        ['keys', 'list'],
        ['keys', 'rotate'],
        ['clients', 'add'],
        ['clients', 'list'],
        ['clients', 'remove'],
        ['admin-token', 'reset'],
      ]),
    );

    const subHelps = await runAll(subcommands.map((path) => ({ args: [...path, '--help'] })));
    subHelps.forEach((help, i) => {
      const command = (subcommands[i] as string[]).join(' ');
      expect({ command, code: help.code }).toEqual({ command, code: 0 });
      expect(help.stdout).toContain(`Usage: baton ${command}`);
    });
  }, 80_000);

  it('exits 2 without arguments, for an unknown command, without a required option and on bad --claims', async () => {
    const dir = makeTempDir();
    const env = storeEnv(join(dir, 'baton.db'));
    const [none, unknown, noSub, noTarget, badClaims] = await runAll([
      { args: [], env },
      { args: ['frobnicate'], env },
      { args: ['mint'], env },
      { args: ['sessions', 'revoke'], env },
      { args: ['mint', '--sub', 'alice', '--claims', '{"role":'], env },
    ]);
    expect(none?.code).toBe(2);
    expect(none?.stdout).toMatch(/^Usage: baton /);
    expect(unknown?.code).toBe(2);
    expect(unknown?.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(noSub?.code).toBe(2);
    expect(noSub?.stderr).toMatch(/required option '--sub <subject>'/);
    expect(noTarget?.code).toBe(2);
    expect(lines(noTarget?.stderr ?? '')).toEqual([
      expect.stringMatching(/^baton: give a session id or --sub/),
    ]);
    expect(badClaims?.code).toBe(2);
    expect(badClaims?.stdout).toBe('');
    expect(lines(badClaims?.stderr ?? '')).toEqual([
      expect.stringMatching(/^baton: --claims must be a JSON object/),
    ]);
    // None of them touched the store.
    expect(existsSync(join(dir, 'baton.db'))).toBe(false);
  }, 80_000);

  it('reads BATON_* settings from --config, and exits 2 on an unknown key in the file', async () => {
    const cwd = makeTempDir();
    const configured = join(makeTempDir(), 'from-config.db');
    const good = join(cwd, 'good.json');
    const bad = join(cwd, 'bad.json');
    writeFileSync(good, JSON.stringify({ ...storeEnv(configured), BATON_ACCESS_TTL: 120 }));
    writeFileSync(bad, JSON.stringify({ ...storeEnv(configured), BATON_NOPE: 'x' }));
    // No BATON_* variable in the environment: the file is the only source.
    const [minted, refused] = await runAll([
      { args: ['--config', good, 'mint', '--sub', 'carol'], cwd },
      { args: ['--config', bad, 'migrate'], cwd },
    ]);
    expect(minted?.code).toBe(0);
    const issued = JSON.parse(minted?.stdout ?? '') as { sessionId: string; expiresIn: number };
    expect(issued.expiresIn).toBe(120);
    expect(existsSync(join(cwd, 'baton.db'))).toBe(false);
    // The session is in the file the config named.
    const db = new Database(configured, { readonly: true, fileMustExist: true });
    try {
      expect(db.prepare('SELECT id, subject FROM sessions').all()).toEqual([
        { id: issued.sessionId, subject: 'carol' },
      ]);
    } finally {
      db.close();
    }
    expect(refused?.code).toBe(2);
    expect(lines(refused?.stderr ?? '')).toEqual([
      `baton: --config ${bad}: unknown key BATON_NOPE`,
    ]);
  }, 80_000);

  it('prints its version, and refuses a bad setting with one line before any admin token is made', async () => {
    const path = join(makeTempDir(), 'baton.db');
    const fresh = { ...storeEnv(path), BATON_ADMIN_TOKEN: undefined };
    const [version, proxy, wildcard] = await runAll([
      { args: ['--version'] },
      { args: ['serve'], env: { ...fresh, BATON_TRUST_PROXY: 'maybe' } },
      { args: ['serve'], env: { ...fresh, BATON_HOST: '0.0.0.0' } },
    ]);
    const { version: expected } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(version).toMatchObject({ code: 0, stdout: `${expected}\n` });
    for (const [run, variable] of [
      [proxy, 'BATON_TRUST_PROXY'],
      [wildcard, 'BATON_ISSUER'],
    ] as const) {
      expect(run?.code).toBe(2); // a configuration error is a usage error
      expect(lines(run?.stderr ?? '')).toEqual([expect.stringMatching(`^baton: ${variable} `)]);
      expect(run?.stderr).not.toMatch(/bat_|admin token/);
    }
    // Nothing was written: the store was never opened.
    expect(existsSync(path)).toBe(false);
  }, 80_000);

  it('warns about an unknown BATON_* variable with the closest known name, and still runs', async () => {
    const env = { ...storeEnv(join(makeTempDir(), 'baton.db')), BATON_PROT: '9000' };
    const migrated = await baton(['migrate'], env);
    expect(migrated.code).toBe(0);
    expect(lines(migrated.stderr)).toEqual([
      'baton: warning: BATON_PROT is not a Baton setting and is ignored; did you mean BATON_PORT?',
    ]);
  }, 80_000);

  it('admin-token reset prints a new bat_ token that then opens the admin API', async () => {
    const path = join(makeTempDir(), 'baton.db');
    const env = { ...storeEnv(path), BATON_ADMIN_TOKEN: undefined };
    const reset = await baton(['admin-token', 'reset'], env);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/^bat_[A-Za-z0-9_-]{20,}\n$/);
    const token = reset.stdout.trim();

    const server = await inSlot(() =>
      startServer({ BATON_STORE: `sqlite:${path}`, BATON_ADMIN_TOKEN: undefined }),
    );
    // A token exists already: the server neither generates nor prints another one.
    expect(server.process.stderr()).not.toMatch(/bat_/);
    expect((await admin(server.url, 'GET', '/admin/keys', undefined, token)).status).toBe(200);
    expect((await admin(server.url, 'GET', '/admin/keys', undefined, `${token}x`)).status).toBe(
      401,
    );
    await server.stop();
  }, 80_000);
});

describe('admin-token reset on a running server', () => {
  it('is honoured within seconds: the new token opens the admin API, the old one stops', async () => {
    const path = join(makeTempDir(), 'baton.db');
    const env = { ...storeEnv(path), BATON_ADMIN_TOKEN: undefined };
    const server = await inSlot(() =>
      startServer({ BATON_STORE: `sqlite:${path}`, BATON_ADMIN_TOKEN: undefined }),
    );
    const old = (server.process.stderr().match(/\bbat_[A-Za-z0-9_-]{20,}/) ?? [])[0] as string;
    expect((await admin(server.url, 'GET', '/admin/keys', undefined, old)).status).toBe(200);

    const reset = await baton(['admin-token', 'reset'], env);
    expect(reset.code).toBe(0);
    const fresh = reset.stdout.trim();
    const resetAt = Date.now();
    // The new token works as soon as the server looks again (at most a second apart).
    await expect
      .poll(async () => (await admin(server.url, 'GET', '/admin/keys', undefined, fresh)).status, {
        timeout: 3_000,
        interval: 250,
      })
      .toBe(200);
    // The old one stops within the reload interval (5 s), without a restart.
    await expect
      .poll(async () => (await admin(server.url, 'GET', '/admin/keys', undefined, old)).status, {
        timeout: (ADMIN_TOKEN_RELOAD_TTL + 3) * 1000,
        interval: 250,
      })
      .toBe(401);
    expect(Date.now() - resetAt).toBeLessThan((ADMIN_TOKEN_RELOAD_TTL + 3) * 1000);
    await server.stop();
  }, 60_000);
});

interface Minted {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  tokenType: string;
}

describe.concurrent('baton command line: one store', () => {
  describe.sequential('command after command', () => {
    const env = storeEnv(join(makeTempDir(), 'baton.db'));
    const run = (...args: string[]): Promise<RunResult> => baton(args, env);
    const ok = (result: RunResult | undefined): RunResult => {
      expect({ code: result?.code, stderr: result?.stderr }).toEqual({ code: 0, stderr: '' });
      return result as RunResult;
    };
    // Results of the set-up commands, checked by the tests below.
    const setup: Record<string, RunResult | undefined> = {};
    let alice: Minted;
    let bob: Minted;

    beforeAll(async () => {
      // The first command on a new file migrates it and makes the signing key and the default
      // client; the commands after it then run side by side.
      setup.mintAlice = await run('mint', '--sub', 'alice', '--claims', '{"role":"admin"}');
      [setup.migrate, setup.mintBob, setup.rotate, setup.addApi, setup.showNope] = await runAll(
        [
          ['migrate'],
          ['mint', '--sub', 'bob'],
          ['keys', 'rotate'],
          ['clients', 'add', 'api', '--confidential'],
          ['sessions', 'show', 'nope'],
        ].map((args) => ({ args, env })),
      );
      alice = JSON.parse(setup.mintAlice?.stdout || '{}') as Minted;
      bob = JSON.parse(setup.mintBob?.stdout || '{}') as Minted;
    }, 80_000);

    it('migrate reports that the schema is up to date on a store already in use', () => {
      expect(ok(setup.migrate).stdout).toMatch(/^schema is up to date \(version [1-9]\d*\)\n$/);
    });

    it('mint prints the session as JSON with sessionId, accessToken and refreshToken, and --claims go into the access token', () => {
      for (const result of [setup.mintAlice, setup.mintBob]) ok(result);
      expect(alice).toMatchObject({
        sessionId: expect.stringMatching(/^ses_/),
        accessToken: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
        refreshToken: expect.stringMatching(/^rt_[\w-]{92}$/),
        tokenType: 'Bearer',
      });
      expect(decodeJwt(alice.accessToken)).toMatchObject({
        sub: 'alice',
        sid: alice.sessionId,
        role: 'admin',
        gen: 0,
      });
      expect(decodeJwt(bob.accessToken)).not.toHaveProperty('role');
    });

    it('sessions list prints a table or JSON, sessions show prints one session, and an unknown id exits 1', async () => {
      const [table, json, show] = await runAll([
        { args: ['sessions', 'list'], env },
        { args: ['sessions', 'list', '--json'], env },
        { args: ['sessions', 'show', alice.sessionId], env },
      ]);
      const rows = lines(ok(table).stdout);
      expect(rows[0]).toMatch(/^id\s+subject\s+clientId\s+status\s+generation/);
      expect(rows).toHaveLength(3);
      for (const session of [alice, bob]) {
        expect(rows.some((row) => row.startsWith(`${session.sessionId} `))).toBe(true);
      }
      const sessions = JSON.parse(ok(json).stdout) as { id: string; subject: string }[];
      expect(sessions.map((s) => [s.id, s.subject]).sort()).toEqual(
        [
          [alice.sessionId, 'alice'],
          [bob.sessionId, 'bob'],
        ].sort(),
      );
      expect(JSON.parse(ok(show).stdout)).toMatchObject({
        id: alice.sessionId,
        subject: 'alice',
        clientId: 'default',
        claims: { role: 'admin' },
        status: 'active',
        generation: 0,
        revokedAt: null,
      });
      expect(setup.showNope?.code).toBe(1);
      expect(setup.showNope?.stdout).toBe('');
      expect(lines(setup.showNope?.stderr ?? '')).toEqual(['baton: no session nope']);
    }, 60_000);

    it('keys rotate makes a new active key, and keys list then shows two keys', async () => {
      const kid = /^new active key (\S+) \(EdDSA\)/.exec(ok(setup.rotate).stdout)?.[1];
      expect(kid).toBeDefined();
      const rows = lines(ok(await run('keys', 'list')).stdout);
      expect(rows[0]).toMatch(/^kid\s+alg\s+status/);
      expect(rows).toHaveLength(3);
      expect(rows.filter((row) => /\sactive\s/.test(row))).toEqual([
        expect.stringMatching(new RegExp(`^${kid}\\s+EdDSA\\s+active`)),
      ]);
      expect(rows.filter((row) => /\sretired\s/.test(row))).toHaveLength(1);
    }, 60_000);

    it('clients add prints a confidential client’s cs_ secret once, a second add of the id exits 1, and clients remove deletes it', async () => {
      const added = JSON.parse(ok(setup.addApi).stdout) as {
        client: { id: string; confidential: boolean };
        clientSecret: string;
      };
      expect(added.client).toMatchObject({ id: 'api', confidential: true });
      expect(added.clientSecret).toMatch(/^cs_[\w-]{20,}$/);

      const [again, table] = await runAll([
        { args: ['clients', 'add', 'api'], env },
        { args: ['clients', 'list'], env },
      ]);
      expect(again?.code).toBe(1);
      expect(lines(again?.stderr ?? '')).toEqual(['baton: client api already exists']);
      const rows = lines(ok(table).stdout);
      expect(rows[0]).toMatch(/^id\s+confidential/);
      expect(rows.find((row) => row.startsWith('api '))).toMatch(/^api\s+true\s/);
      expect(rows.find((row) => row.startsWith('default '))).toMatch(/^default\s+false\s/);
      // Shown once: the list has no place for the secret.
      expect(table?.stdout).not.toContain(added.clientSecret);

      expect(ok(await run('clients', 'remove', 'api')).stdout).toBe(
        'removed api; revoked 0 sessions\n',
      );
    }, 60_000);

    it('sessions revoke ends one session by id, or every session of a subject with --sub', async () => {
      const [one, all] = await runAll([
        { args: ['sessions', 'revoke', bob.sessionId], env },
        { args: ['sessions', 'revoke', '--sub', 'alice'], env },
      ]);
      expect(ok(one).stdout).toBe(`revoked ${bob.sessionId}\n`);
      expect(ok(all).stdout).toBe('revoked 1 session of alice\n');
      const sessions = JSON.parse(ok(await run('sessions', 'list', '--json')).stdout) as {
        id: string;
        status: string;
        revokeReason: string;
      }[];
      expect(sessions.map((s) => [s.id, s.status, s.revokeReason]).sort()).toEqual(
        [
          [alice.sessionId, 'revoked', 'subject'],
          [bob.sessionId, 'revoked', 'admin'],
        ].sort(),
      );
    }, 60_000);

    it('events prints the security events as JSON lines, oldest first', async () => {
      const events = lines(ok(await run('events')).stdout).map(
        (line) =>
          JSON.parse(line) as {
            id: number;
            type: string;
            sessionId: string | null;
            clientId: string | null;
          },
      );
      const types = events.map((event) => event.type);
      expect(types).toEqual(
        expect.arrayContaining(['key.rotated', 'client.created', 'client.deleted']),
      );
      expect(
        events
          .filter((event) => event.type === 'session.revoked')
          .map((event) => event.sessionId)
          .sort(),
      ).toEqual([alice.sessionId, bob.sessionId].sort());
      const ids = events.map((event) => event.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
    }, 60_000);

    it('events --follow prints an event that happens while it runs, and exits 0 on SIGINT', async () => {
      const follow = spawnBaton(['events', '--follow', '--type', 'client.created'], { env });
      const waitFor = async (pattern: RegExp, what: string): Promise<void> => {
        const deadline = Date.now() + 30_000;
        while (!pattern.test(follow.stdout())) {
          if (Date.now() > deadline) throw new Error(`no ${what} in: ${follow.stdout()}`);
          if (follow.child.exitCode !== null) throw new Error(`exited: ${follow.stderr()}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      // Running: the earlier client.created event of `api` has been printed.
      await waitFor(/"clientId":"api"/, 'earlier event');
      ok(await run('clients', 'add', 'web'));
      await waitFor(/"clientId":"web"/, 'new event');
      const web = lines(follow.stdout())
        .map((line) => JSON.parse(line) as { type: string; clientId: string })
        .filter((event) => event.clientId === 'web');
      expect(web).toEqual([expect.objectContaining({ type: 'client.created', clientId: 'web' })]);

      follow.child.kill('SIGINT');
      // --follow holds the store open like a server; closing it must not cut the process short
      // (it once ended with Node's exit code 13 while the SQLite checkpointer stopped).
      expect(await follow.exited).toEqual({ code: 0, signal: null });
    }, 60_000);
  });
});
