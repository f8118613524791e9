import type { BatonConfig } from '../config.js';
import { withService } from '../open-service.js';
import { isoTime, printJson, printTable } from '../output.js';

/** `baton keys list`. */
export async function listKeys(config: BatonConfig, options: { json?: boolean }): Promise<void> {
  await withService(config, async (service) => {
    const keys = await service.listKeys();
    if (options.json === true) return printJson(keys);
    printTable(
      keys.map((k) => ({
        ...k,
        createdAt: isoTime(k.createdAt),
        retiredAt: isoTime(k.retiredAt),
        publishedUntil: isoTime(k.publishedUntil),
      })),
      ['kid', 'alg', 'status', 'createdAt', 'retiredAt', 'publishedUntil'],
    );
  });
}

/** `baton keys rotate`: a new active key; the old one stays published until its tokens expire. */
export async function rotateKeys(config: BatonConfig): Promise<void> {
  await withService(config, async (service) => {
    const key = await service.rotateKeys();
    process.stdout.write(
      `new active key ${key.kid} (${key.alg}); running servers pick it up within 30 s\n`,
    );
  });
}
