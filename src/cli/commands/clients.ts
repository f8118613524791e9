import type { BatonConfig } from '../config.js';
import { openService } from '../open-service.js';
import { isoTime, printJson, printTable } from '../output.js';

/** Options of `baton clients add`. */
export interface AddClientOptions {
  confidential?: boolean;
  accessTtl?: number;
  refreshTtl?: number;
  idleTtl?: number;
  reuseGrace?: number;
  rotate?: boolean;
  audience?: string;
  replace?: boolean;
}

/** `baton clients add <id>`: prints the client, and a confidential client's secret once. */
export async function addClient(
  config: BatonConfig,
  id: string,
  options: AddClientOptions,
): Promise<void> {
  const service = await openService(config, { longRunning: false });
  try {
    const input = Object.fromEntries(
      Object.entries({ id, ...options }).filter(([, value]) => value !== undefined),
    );
    printJson(await service.createClient(input as { id: string }));
  } finally {
    await service.close();
  }
}

/** `baton clients list`. */
export async function listClients(config: BatonConfig, options: { json?: boolean }): Promise<void> {
  const service = await openService(config, { longRunning: false });
  try {
    const clients = await service.listClients();
    if (options.json === true) return printJson(clients);
    printTable(
      clients.map((c) => ({ ...c, createdAt: isoTime(c.createdAt) })),
      [
        'id',
        'confidential',
        'accessTtl',
        'refreshTtl',
        'idleTtl',
        'reuseGrace',
        'rotate',
        'audience',
        'createdAt',
      ],
    );
  } finally {
    await service.close();
  }
}

/** `baton clients remove <id>`: removes the client and revokes its sessions. */
export async function removeClient(config: BatonConfig, id: string): Promise<void> {
  const service = await openService(config, { longRunning: false });
  try {
    const { revokedSessions } = await service.deleteClient(id);
    process.stdout.write(
      `removed ${id}; revoked ${revokedSessions} session${revokedSessions === 1 ? '' : 's'}\n`,
    );
  } finally {
    await service.close();
  }
}
