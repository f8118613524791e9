import type { SecurityEvent, SecurityEventType } from '../../core/index.js';
import type { BatonConfig } from '../config.js';
import { openService, printConfigWarnings, showGeneratedAdminToken } from '../open-service.js';
import { UsageError } from '../usage-error.js';

/** Options of `baton events`. */
export interface EventsOptions {
  type?: SecurityEventType;
  since?: string;
  limit: number;
  follow?: boolean;
  /** Milliseconds between polls with `--follow`. */
  pollMs?: number;
}

function parseSince(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative !== null) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return Math.floor(Date.now() / 1000) - Number(relative[1]) * unit;
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new UsageError('--since takes epoch seconds, an ISO date, or an age like 15m, 2h, 7d');
  return Math.floor(parsed / 1000);
}

const line = (event: SecurityEvent): string =>
  JSON.stringify({ ...event, time: new Date(event.at * 1000).toISOString() });

/** `baton events`: prints security events as JSON lines, oldest first; `--follow` keeps polling. */
export async function listEvents(config: BatonConfig, options: EventsOptions): Promise<void> {
  const since = parseSince(options.since);
  printConfigWarnings(config);
  const service = await openService(config, { longRunning: options.follow === true });
  showGeneratedAdminToken(service);
  try {
    let afterId = 0;
    const page = async (): Promise<void> => {
      for (;;) {
        const events = await service.listEvents({
          limit: options.limit,
          afterId,
          ...(options.type === undefined ? {} : { type: options.type }),
          ...(since === undefined ? {} : { since }),
        });
        for (const event of events) process.stdout.write(`${line(event)}\n`);
        afterId = events.at(-1)?.id ?? afterId;
        if (options.follow !== true || events.length < options.limit) return;
      }
    };
    await page();
    if (options.follow !== true) return;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        page().catch((error: unknown) =>
          process.stderr.write(`baton: ${(error as Error).message}\n`),
        );
      }, options.pollMs ?? 1000);
      const stop = (): void => {
        clearInterval(timer);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    await service.close();
  }
}
