import type { ClientInput } from '../../core/index.js';
import type { BatonConfig } from '../config.js';
import { withService } from '../open-service.js';
import { isoTime, printJson, printTable } from '../output.js';

/** Options of `baton clients add`: the client's settings (see {@link ClientInput}). */
export type AddClientOptions = Omit<ClientInput, 'id'>;

/** `baton clients add <id>`: prints the client, and a confidential client's secret once. */
export async function addClient(
  config: BatonConfig,
  id: string,
  options: AddClientOptions,
): Promise<void> {
  await withService(config, async (service) => {
    const input = Object.fromEntries(
      Object.entries({ id, ...options }).filter(([, value]) => value !== undefined),
    );
    printJson(await service.createClient(input as { id: string }));
  });
}

/** `baton clients list`. */
export async function listClients(config: BatonConfig, options: { json?: boolean }): Promise<void> {
  await withService(config, async (service) => {
    const clients = await service.listClients();
    if (options.json === true) return printJson(clients);
    printTable(
      clients.map((c) => ({
        ...c,
        dialects: c.dialects === null ? 'default' : c.dialects.join(',') || 'none',
        createdAt: isoTime(c.createdAt),
      })),
      [
        'id',
        'confidential',
        'accessTtl',
        'refreshTtl',
        'idleTtl',
        'reuseGrace',
        'rotate',
        'audience',
        'dialects',
        'createdAt',
      ],
    );
  });
}

/** `baton clients remove <id>`: removes the client and revokes its sessions. */
export async function removeClient(config: BatonConfig, id: string): Promise<void> {
  await withService(config, async (service) => {
    const { revokedSessions } = await service.deleteClient(id);
    process.stdout.write(
      `removed ${id}; revoked ${revokedSessions} session${revokedSessions === 1 ? '' : 's'}\n`,
    );
  });
}
