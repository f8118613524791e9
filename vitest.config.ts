import { defineConfig } from 'vitest/config';

/**
 * Suites that need more than Node: a PostgreSQL or Redis server (127.0.0.1:5432 and :6379),
 * Chromium (/usr/bin/chromium), or the npm registry. `npm run test:unit` runs everything else.
 */
const NEEDS_SERVICES = [
  'test/stores/postgres-store.test.ts',
  'test/stores/redis.test.ts',
  'test/cli/migrate-postgres.test.ts',
  'test/e2e/postgres-*.test.ts',
  'test/e2e/redis-*.test.ts',
  'test/browser/**/*.test.ts',
  'test/console/**/*.test.ts',
  'test/http/api-reference.test.ts',
  'test/verifier/browser.test.ts',
  'test/bench/scale-load.test.ts',
  // npm pack and npm install: the npm registry for the dependencies, and minutes.
  'test/e2e/package.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end suites start real server processes; keep a 2-core machine from thrashing.
    maxWorkers: 2,
    // A focused test (`it.only`) must never hide the rest of the suite in a run that counts.
    allowOnly: false,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: NEEDS_SERVICES },
      },
      { extends: true, test: { name: 'services', include: NEEDS_SERVICES } },
    ],
  },
});
