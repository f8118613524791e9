import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './server-process.js';

/**
 * Builds the console into dist/console as `npm run build` does (scripts/build-console.mjs, which
 * leaves an unchanged build alone), so that servers started from the sources serve it.
 */
export function buildConsole(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs')], {
    cwd: ROOT,
    stdio: 'pipe',
  });
}
