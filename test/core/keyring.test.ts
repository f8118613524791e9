import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { createTestService, T0 } from '../helpers/service.js';
import { createTempDirs } from '../helpers/temp-dir.js';

const dirs = createTempDirs();
const open: Store[] = [];

/** A real SQLite store that counts how often the keys are read. */
function countingStore(path: string): Store & { keyReads: number } {
  const store = createSqliteStore({ path });
  open.push(store);
  const counted = Object.assign(Object.create(store) as Store, { keyReads: 0 });
  counted.listKeys = () => {
    counted.keyReads += 1;
    return store.listKeys();
  };
  return counted;
}

describe('keyring across instances', () => {
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
    dirs.cleanup();
  });

  it('trusts at once a key rotated in by another instance on the same store', async () => {
    const path = join(dirs.make(), 'baton.db');
    const clock = createManualClock(T0);
    const a = await createTestService({ store: countingStore(path), clock });
    const b = await createTestService({ store: countingStore(path), clock });
    await b.service.rotateKeys();
    const issued = await b.service.issueSession({ subject: 'alice' });
    // A has not reloaded its keys yet, but an unknown kid makes it look in the store.
    expect(await a.service.introspect(issued.accessToken, 'admin')).toMatchObject({
      active: true,
      sub: 'alice',
    });
  });

  it('reloads at most once per throttle window for unknown kids, however many arrive', async () => {
    const path = join(dirs.make(), 'baton.db');
    const clock = createManualClock(T0);
    const store = countingStore(path);
    const { service } = await createTestService({ store, clock });
    const issued = await service.issueSession({ subject: 'alice' });
    const [header, payload, signature] = issued.accessToken.split('.') as [string, string, string];
    const forged = (kid: string): string => {
      const decoded = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      return `${Buffer.from(JSON.stringify({ ...decoded, kid })).toString('base64url')}.${payload}.${signature}`;
    };
    clock.advance(10);
    const before = store.keyReads;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => service.introspect(forged(`junk-${i}`), 'admin')),
    );
    expect(results.every((r) => !r.active)).toBe(true);
    expect(store.keyReads - before).toBe(1);
    clock.advance(5);
    await service.introspect(forged('junk-late'), 'admin');
    expect(store.keyReads - before).toBe(2);
  });
});
