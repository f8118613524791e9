import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  admin,
  cleanupServers,
  makeTempDir,
  mintSession,
  refreshAt,
  startServer,
} from '../helpers/server-process.js';

// /readyz tells whether the store can commit, on a real server: not while its disk is full,
// not once its database directory was deleted; and refreshes then answer 503, never 200
// against data that is gone or 500.

afterAll(cleanupServers);

/** Mounts a small tmpfs at a fresh directory; `undefined` where mounting is not allowed. */
function smallDisk(megabytes: number): string | undefined {
  const dir = makeTempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], {
      stdio: 'ignore',
    });
    return dir;
  } catch {
    return undefined;
  }
}

/** Writes zeros into `path` until the file system is full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

const readyz = async (url: string) => (await fetch(`${url}/readyz`)).status;

describe('readiness reflects whether the store can commit', () => {
  it('is 503 once the database directory is deleted, and refreshes answer 503', async () => {
    const dir = join(makeTempDir(), 'data');
    mkdirSync(dir);
    const server = await startServer({ BATON_STORE: `sqlite:${join(dir, 'baton.db')}` });
    const minted = await mintSession(server.url);
    expect(await readyz(server.url)).toBe(200);
    rmSync(dir, { recursive: true, force: true });
    expect(await readyz(server.url)).toBe(503);
    const refreshed = await refreshAt(server.url, minted.refreshToken);
    expect(refreshed.status).toBe(503);
    expect(refreshed.json).toMatchObject({ reason: 'store_unavailable' });
    await server.stop();
    // Said loudly in the log, with the reason.
    expect(server.process.stdout()).toMatch(/deleted or replaced/);
  }, 60_000);

  it('is 503 while the disk is full, refreshes answer 503, and both recover once space is back', async (context) => {
    // A real full disk needs a file system of its own: mounting one needs root.
    const root = smallDisk(8);
    if (root === undefined) return context.skip('mounting a tmpfs is not allowed here');
    try {
      const server = await startServer({ BATON_STORE: `sqlite:${join(root, 'baton.db')}` });
      const minted = await mintSession(server.url);
      expect(await readyz(server.url)).toBe(200);
      fillDisk(join(root, 'filler'));
      // Writes go on while SQLite can reuse space it already has; keep writing until one
      // cannot commit. From then on the store is not ready, and says so. A background checkpoint
      // lets the write-ahead log be reused from its start, which gives the store room again (and
      // it is then rightly ready): the writes go on until that room is spent too.
      const writeUntilFull = async (): Promise<number> => {
        let status = 201;
        for (let i = 0; i < 5000 && status === 201; i++) {
          status = (await admin(server.url, 'POST', '/admin/sessions', { subject: `u${i}` }))
            .status;
        }
        return status;
      };
      let observed: number[] = [];
      for (let attempt = 0; attempt < 10; attempt++) {
        const written = await writeUntilFull();
        const ready = await readyz(server.url);
        const refreshed =
          ready === 503 ? (await refreshAt(server.url, minted.refreshToken)).status : 0;
        observed = [written, ready, refreshed];
        if (refreshed === 503) break;
      }
      expect(observed).toEqual([503, 503, 503]);
      rmSync(join(root, 'filler'));
      expect(await readyz(server.url)).toBe(200);
      // Nothing was half-done: the token that could not be refreshed still refreshes.
      expect((await refreshAt(server.url, minted.refreshToken)).status).toBe(200);
      await server.stop();
    } finally {
      execFileSync('umount', ['-l', root], { stdio: 'ignore' });
    }
  }, 60_000);
});
