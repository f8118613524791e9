import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, cleanupServers, freePort, makeTempDir } from '../helpers/server-process.js';

// What a team gets from the package: `npm pack`, then `npm install` of the tarball in an empty
// folder, gives a working `npx baton serve` and importable `baton/client`, `baton/verifier` and
// `baton/verifier/fastify`. Slow (it builds, packs and installs), and needs the npm registry for
// the dependencies.

afterAll(cleanupServers);

const run = (command: string, args: string[], cwd: string): string =>
  execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SCARF_ANALYTICS: 'false' },
  });

describe('the npm package', () => {
  it('installs from its tarball and serves, with the client and the verifier importable', async () => {
    const packDir = makeTempDir();
    run('npm', ['pack', '--pack-destination', packDir, '--silent'], ROOT);
    const [tarball] = readdirSync(packDir).filter((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();

    const app = makeTempDir();
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    );
    run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(packDir, tarball as string)],
      app,
    );

    // The three entry points resolve through the exports map, types included.
    writeFileSync(
      join(app, 'check.mjs'),
      `import { createTokenClient, localStorageAdapter } from 'baton/client';
       import { createVerifier } from 'baton/verifier';
       import { fastifyVerifier } from 'baton/verifier/fastify';
       console.log(JSON.stringify([typeof createTokenClient, typeof localStorageAdapter, typeof createVerifier, typeof fastifyVerifier]));`,
    );
    expect(JSON.parse(run('node', ['check.mjs'], app))).toEqual([
      'function',
      'function',
      'function',
      'function',
    ]);
    for (const types of [
      'client/index.d.ts',
      'client/verifier/index.d.ts',
      'client/verifier/fastify.d.ts',
    ]) {
      expect(readdirSync(join(app, 'node_modules/baton/dist', types, '..'))).toContain(
        types.split('/').at(-1),
      );
    }

    // npx baton serve, on its embedded default, answers.
    const port = await freePort();
    // In a process group of its own: npx runs baton as a child, which a signal to npx alone
    // would leave running.
    const server = spawn('npx', ['--no-install', 'baton', 'serve'], {
      cwd: app,
      env: { ...process.env, BATON_PORT: String(port), BATON_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const exited = new Promise((resolve) => server.once('exit', resolve));
    try {
      await expect
        .poll(
          async () =>
            (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status,
          {
            timeout: 30_000,
            interval: 250,
          },
        )
        .toBe(200);
      const docs = await fetch(`http://127.0.0.1:${port}/docs`);
      expect(docs.status).toBe(200);
    } finally {
      if (server.pid !== undefined) process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    expect(readdirSync(app)).toContain('baton.db');
  }, 600_000);
});
