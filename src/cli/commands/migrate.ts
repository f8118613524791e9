import type { BatonConfig } from '../config.js';
import { migrateStore, parseStoreLocation } from '../open-store.js';
import { printConfigWarnings } from '../open-service.js';

/** `baton migrate`: applies pending schema migrations (also done at every start). */
export async function migrate(config: BatonConfig): Promise<void> {
  printConfigWarnings(config);
  const { applied, version } = await migrateStore(parseStoreLocation(config.store));
  process.stdout.write(
    applied.length === 0
      ? `schema is up to date (version ${version})\n`
      : `applied migrations ${applied.join(', ')}; schema version ${version}\n`,
  );
}
