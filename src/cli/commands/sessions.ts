import { BatonError } from '../../core/index.js';
import type { BatonConfig } from '../config.js';
import { withService } from '../open-service.js';
import { isoTime, printJson, printTable } from '../output.js';
import { UsageError } from '../usage-error.js';

/** `baton sessions list`. */
export async function listSessions(
  config: BatonConfig,
  options: { sub?: string; client?: string; after?: string; limit: number; json?: boolean },
): Promise<void> {
  await withService(config, async (service) => {
    const sessions = await service.listSessions({
      limit: options.limit,
      ...(options.sub === undefined ? {} : { subject: options.sub }),
      ...(options.client === undefined ? {} : { clientId: options.client }),
      ...(options.after === undefined ? {} : { after: options.after }),
    });
    if (options.json === true) return printJson(sessions);
    printTable(
      sessions.map((s) => ({
        ...s,
        createdAt: isoTime(s.createdAt),
        lastActiveAt: isoTime(s.lastActiveAt),
        expiresAt: isoTime(s.expiresAt),
      })),
      [
        'id',
        'subject',
        'clientId',
        'status',
        'generation',
        'createdAt',
        'lastActiveAt',
        'expiresAt',
      ],
    );
  });
}

/** `baton sessions show <id>`. */
export async function showSession(config: BatonConfig, id: string): Promise<void> {
  await withService(config, async (service) => {
    const session = await service.getSession(id);
    if (session === undefined) throw new BatonError('ERR_NOT_FOUND', `no session ${id}`);
    printJson(session);
  });
}

/** `baton sessions revoke <id>` or `baton sessions revoke --sub <subject>`. */
export async function revokeSessions(
  config: BatonConfig,
  id: string | undefined,
  options: { sub?: string },
): Promise<void> {
  if ((id === undefined) === (options.sub === undefined)) {
    throw new UsageError('give a session id or --sub <subject>, not both');
  }
  await withService(config, async (service) => {
    if (id !== undefined) {
      const revoked = await service.revokeSession(id, 'admin');
      process.stdout.write(revoked ? `revoked ${id}\n` : `${id} was already revoked\n`);
    } else {
      const count = await service.revokeSubject(options.sub as string);
      process.stdout.write(
        `revoked ${count} session${count === 1 ? '' : 's'} of ${options.sub as string}\n`,
      );
    }
  });
}
