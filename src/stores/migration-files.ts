import { readdirSync, readFileSync } from 'node:fs';

/** A numbered schema change. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations in `dir` (`NNN_name.sql`), in order. */
export function loadMigrationFiles(dir: URL): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(new URL(file, dir), 'utf8'),
    }));
}

/**
 * The migrations not yet among `applied`, in order. Throws when the database has a version this
 * Baton does not know: a newer schema is refused rather than misread.
 */
export function pendingMigrations(
  migrations: Migration[],
  applied: ReadonlySet<number>,
): Migration[] {
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((migration) => migration.version));
  if (newest > known) {
    throw new Error(
      `the database schema (version ${newest}) is newer than this Baton (version ${known})`,
    );
  }
  return migrations.filter((migration) => !applied.has(migration.version));
}
