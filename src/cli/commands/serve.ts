import { pino } from 'pino';
import { startServer } from '../../http/server.js';
import { loggerOptions } from '../../http/logger.js';
import { createWebhookSink } from '../../http/webhook-sink.js';
import { ConfigError, type BatonConfig } from '../config.js';
import { openService } from '../open-service.js';

/** `baton serve`: runs the HTTP server until SIGINT or SIGTERM. */
export async function serve(config: BatonConfig): Promise<void> {
  if (config.dialects.length > 0) {
    throw new ConfigError(
      'BATON_DIALECTS: the dialect faces are not part of this version yet; unset it',
    );
  }
  const log = pino(loggerOptions(config.logLevel) as object);
  if (config.redisUrl !== undefined) {
    log.warn(
      'BATON_REDIS_URL is set, but this version keeps rate-limit counters in memory; it is ignored',
    );
  }
  const events =
    config.webhookUrl === undefined
      ? undefined
      : createWebhookSink({ url: config.webhookUrl, issuer: config.issuer, log });
  const service = await openService(config, {
    longRunning: true,
    ...(events === undefined ? {} : { events }),
  });
  let server;
  try {
    server = await startServer({
      service,
      host: config.host,
      port: config.port,
      logger: log,
      trustProxy: config.trustProxy,
    });
  } catch (error) {
    await service.close();
    throw error;
  }
  log.info(
    { url: server.url, issuer: config.issuer, store: service.store.kind, alg: config.alg },
    'Baton is listening',
  );

  const running = server;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      running.close().then(resolve, (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
