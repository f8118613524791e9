import { resetAdminToken } from '../../core/index.js';
import type { BatonConfig } from '../config.js';
import { UsageError } from '../usage-error.js';
import { openStore, parseStoreLocation } from '../open-store.js';

/** `baton admin-token reset`: replaces the generated admin token and prints the new one once. */
export async function resetAdmin(config: BatonConfig): Promise<void> {
  if (config.adminToken !== undefined) {
    throw new UsageError(
      'BATON_ADMIN_TOKEN is set, so that token is the admin token; there is nothing to reset',
    );
  }
  const store = await openStore(parseStoreLocation(config.store), false);
  try {
    const token = await resetAdminToken(store);
    process.stdout.write(`${token}\n`);
  } finally {
    await store.close();
  }
}
