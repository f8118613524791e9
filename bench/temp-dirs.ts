import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/** Makes a temporary directory that {@link removeTempDirs} deletes, even after a failure. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Deletes `dir` now. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

/** Deletes every directory {@link makeTempDir} made and nobody removed (synchronous). */
export function removeTempDirs(): void {
  for (const dir of made) removeTempDir(dir);
}
