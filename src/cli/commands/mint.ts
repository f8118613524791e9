import { renderIssuedSession } from '../../http/faces/admin-schemas.js';
import type { BatonConfig } from '../config.js';
import { UsageError } from '../usage-error.js';
import { withService } from '../open-service.js';
import { printJson } from '../output.js';

/** Options of `baton mint`. */
export interface MintOptions {
  sub: string;
  client?: string;
  scope?: string;
  claims?: string;
  accessTtl?: number;
  refreshTtl?: number;
  idleTtl?: number;
}

function parseClaims(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(text);
  } catch {
    throw new UsageError('--claims must be a JSON object, e.g. \'{"role":"admin"}\'');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    throw new UsageError('--claims must be a JSON object');
  return claims as Record<string, unknown>;
}

/** `baton mint`: starts a session for a subject and prints its tokens. */
export async function mint(config: BatonConfig, options: MintOptions): Promise<void> {
  const claims = parseClaims(options.claims);
  await withService(config, async (service) => {
    const issued = await service.issueSession({
      subject: options.sub,
      ...(options.client === undefined ? {} : { clientId: options.client }),
      ...(options.scope === undefined ? {} : { scope: options.scope }),
      ...(claims === undefined ? {} : { claims }),
      ...(options.accessTtl === undefined ? {} : { accessTtl: options.accessTtl }),
      ...(options.refreshTtl === undefined ? {} : { refreshTtl: options.refreshTtl }),
      ...(options.idleTtl === undefined ? {} : { idleTtl: options.idleTtl }),
    });
    printJson(renderIssuedSession(issued));
  });
}
