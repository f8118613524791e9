import { describe, expect, it } from 'vitest';
import { memoryMap, parseSmaps } from '../../bench/soak/samplers.js';

const KB = 1024;

// Four mappings as /proc/<pid>/smaps lists them (other fields trimmed): the allocator's main
// arena, an anonymous mapping, a SQLite WAL index and a shared library.
const SMAPS = `55d0c0a00000-55d0c4a00000 rw-p 00000000 00:00 0                          [heap]
Size:              65536 kB
Rss:               40000 kB
Pss:               40000 kB
7f1a00000000-7f1a04000000 rw-p 00000000 00:00 0
Size:              65536 kB
Rss:                1200 kB
7f1b00000000-7f1b00008000 rw-s 00000000 08:01 123456                     /tmp/baton-soak-x/soak.db-shm
Size:                 32 kB
Rss:                  32 kB
7f1c00000000-7f1c00200000 r-xp 00000000 08:01 654321                     /usr/lib/x86_64-linux-gnu/libc.so.6
Size:               2048 kB
Rss:                1500 kB
`;

describe('the soak memory map', () => {
  it('sorts resident memory by kind of mapping and keeps each anonymous one by address', () => {
    expect(parseSmaps(SMAPS)).toEqual({
      brkHeap: 40000 * KB,
      anonymous: 1200 * KB,
      database: 32 * KB,
      libraries: 1500 * KB,
      regions: { '7f1a00000000': { size: 65536 * KB, rss: 1200 * KB } },
    });
  });

  it('reads this process, whose resident memory it accounts for', () => {
    const map = memoryMap(process.pid);
    expect(map).toBeDefined();
    const total = (map?.brkHeap ?? 0) + (map?.anonymous ?? 0) + (map?.libraries ?? 0);
    // VmRSS and the sum of the mappings' Rss are the same pages, counted a moment apart.
    expect(total).toBeGreaterThan(process.memoryUsage().rss * 0.8);
    expect(total).toBeLessThan(process.memoryUsage().rss * 1.2);
  });
});
