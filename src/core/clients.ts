import { checkInteger, MAX_ACCESS_TTL, MAX_REFRESH_TTL, MAX_REUSE_GRACE } from './config.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { parseDialectList } from './dialects.js';
import { parseOriginList } from './origins.js';
import { isWellFormed } from './text.js';
import { guardGuessable } from './failure-limits.js';
import { randomId } from './random-id.js';
import { keyedHash, safeEqual } from './secrets.js';
import type { ClientRecord } from './records.js';
import { recordEvent, securityEvent } from './record-event.js';

/** How a `client.deleted` event's detail names the removed client's audience. */
export const AUDIENCE_NOTE = '; audience ';

/** Id of the client that always exists. */
export const DEFAULT_CLIENT_ID = 'default';

const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;

/** Settings of a new client; omitted lifetimes fall back to the service defaults. */
export interface ClientInput {
  id: string;
  /** A confidential client gets a secret and must authenticate. Default false (public). */
  confidential?: boolean;
  accessTtl?: number;
  refreshTtl?: number;
  idleTtl?: number;
  reuseGrace?: number;
  rotate?: boolean;
  audience?: string;
  /**
   * Dialects through which this client's sessions may be refreshed; omitted for the default
   * (every mounted dialect for a public client, none for a confidential one).
   */
  dialects?: string[];
  /** Browser origins this client's sessions may be refreshed from (CORS), besides the service's. */
  allowedOrigins?: string[];
  /** Replace an existing client of the same id (a confidential one gets a new secret). */
  replace?: boolean;
}

/** A client as shown to operators: never its secret or secret hash. */
export type ClientView = Omit<ClientRecord, 'secretHash'> & {
  /** True when the client has a secret and must authenticate. */
  confidential: boolean;
};

/** Who is calling, as established by client authentication. */
export interface ClientIdentity {
  id: string;
  /** True when the client proved a secret; false for a public client naming itself. */
  authenticated: boolean;
}

/** Credentials a face extracted from a request (HTTP Basic or body). */
export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
}

/** The operator's view of a client record. */
export function describeClient(client: ClientRecord): ClientView {
  const { secretHash, ...rest } = client;
  return { ...rest, confidential: secretHash !== null };
}

/** A client's own settings; `null` takes the service default. */
export type ClientSettings = Pick<
  ClientRecord,
  | 'accessTtl'
  | 'refreshTtl'
  | 'idleTtl'
  | 'reuseGrace'
  | 'rotate'
  | 'audience'
  | 'dialects'
  | 'allowedOrigins'
>;

/** Operator input for {@link ClientSettings}: an omitted setting is left alone, `null` clears it. */
export interface ClientSettingsInput {
  accessTtl?: number | null;
  refreshTtl?: number | null;
  idleTtl?: number | null;
  reuseGrace?: number | null;
  rotate?: boolean | null;
  audience?: string | null;
  dialects?: string[] | null;
  allowedOrigins?: string[] | null;
}

/** Every setting at its service default. */
const NO_SETTINGS: Readonly<ClientSettings> = Object.freeze({
  accessTtl: null,
  refreshTtl: null,
  idleTtl: null,
  reuseGrace: null,
  rotate: null,
  audience: null,
  dialects: null,
  allowedOrigins: null,
});

const SETTING_CHECKS: {
  readonly [K in keyof ClientSettings]: (value: unknown) => ClientSettings[K];
} = {
  accessTtl: (value) => checkInteger('accessTtl', value as number, 1, MAX_ACCESS_TTL),
  refreshTtl: (value) => checkInteger('refreshTtl', value as number, 1, MAX_REFRESH_TTL),
  idleTtl: (value) => checkInteger('idleTtl', value as number, 1, MAX_REFRESH_TTL),
  reuseGrace: (value) => checkInteger('reuseGrace', value as number, 0, MAX_REUSE_GRACE),
  rotate: (value) => {
    if (typeof value !== 'boolean')
      throw new BatonError('ERR_INVALID_REQUEST', 'rotate must be true or false');
    return value;
  },
  audience: (value) => {
    if (
      typeof value !== 'string' ||
      value.length === 0 ||
      value.length > 255 ||
      !isWellFormed(value)
    ) {
      throw new BatonError(
        'ERR_INVALID_REQUEST',
        'audience must be 1-255 characters of well-formed Unicode',
      );
    }
    return value;
  },
  dialects: parseDialectList,
  allowedOrigins: (value) => parseOriginList(value),
};

/**
 * Validates the settings given in `input` (what `createClient` and `updateClient` accept) and
 * returns them normalised, leaving out the omitted ones; throws `ERR_INVALID_REQUEST`.
 */
export function checkClientSettings(input: ClientSettingsInput): Partial<ClientSettings> {
  const settings: Record<string, unknown> = {};
  try {
    for (const key of Object.keys(SETTING_CHECKS) as (keyof ClientSettings)[]) {
      const value = input[key];
      if (value !== undefined) settings[key] = value === null ? null : SETTING_CHECKS[key](value);
    }
  } catch (error) {
    // Range errors of operator input are request errors here, not start-up errors.
    if (error instanceof BatonError) throw new BatonError('ERR_INVALID_REQUEST', error.message);
    throw error;
  }
  return settings as Partial<ClientSettings>;
}

/** Registers a client; returns it and, for a confidential client, its secret (shown once). */
export async function createClient(
  ctx: ServiceContext,
  input: ClientInput,
): Promise<{ client: ClientView; clientSecret?: string }> {
  if (typeof input.id !== 'string' || !CLIENT_ID_PATTERN.test(input.id)) {
    throw new BatonError(
      'ERR_INVALID_REQUEST',
      'client id must be 1-64 characters of A-Z a-z 0-9 . _ ~ - and start with a letter or digit',
    );
  }
  const record: ClientRecord = {
    id: input.id,
    secretHash: null,
    ...NO_SETTINGS,
    ...checkClientSettings(input),
    createdAt: ctx.clock.now(),
  };
  const clientSecret = input.confidential === true ? randomId('cs_', 32) : undefined;
  if (clientSecret !== undefined) record.secretHash = keyedHash(ctx.secrets.pepper, clientSecret);
  if (input.replace === true) await ctx.store.replaceClient(record);
  else if (!(await ctx.store.insertClient(record)))
    throw new BatonError('ERR_CONFLICT', `client ${input.id} already exists`);
  ctx.clients.invalidate(record.id);
  await ctx.bus.publish({ type: 'client', id: record.id });
  await recordEvent(
    ctx,
    securityEvent('client.created', record.createdAt, {
      clientId: record.id,
      ...(input.replace === true ? { detail: 'replaced' } : {}),
    }),
  );
  return clientSecret === undefined
    ? { client: describeClient(record) }
    : { client: describeClient(record), clientSecret };
}

/** Creates the public `default` client when the store has none. */
export async function ensureDefaultClient(ctx: ServiceContext): Promise<void> {
  if ((await ctx.store.getClient(DEFAULT_CLIENT_ID)) !== undefined) return;
  await ctx.store.insertClient({
    id: DEFAULT_CLIENT_ID,
    secretHash: null,
    accessTtl: null,
    refreshTtl: null,
    idleTtl: null,
    reuseGrace: null,
    rotate: null,
    audience: null,
    dialects: null,
    allowedOrigins: null,
    createdAt: ctx.clock.now(),
  });
}

/**
 * Checks client credentials (RFC 6749 §2.3): a confidential client must prove its secret; a
 * public client must not send one. Throws `ERR_INVALID_CLIENT`; failures count against the
 * caller's IP like failed refreshes.
 */
export async function authenticateClient(
  ctx: ServiceContext,
  credentials: ClientCredentials,
  ip?: string,
): Promise<ClientIdentity> {
  return guardGuessable(ctx, 'client_auth', ip, async () => {
    const client = await ctx.clients.get(credentials.clientId);
    if (client === undefined) {
      throw new BatonError('ERR_INVALID_CLIENT', 'client authentication failed', {
        detail: 'unknown client',
      });
    }
    if (client.secretHash === null) {
      if (credentials.clientSecret !== undefined && credentials.clientSecret !== '') {
        throw new BatonError('ERR_INVALID_CLIENT', 'client authentication failed', {
          detail: 'public client sent a secret',
        });
      }
      return { id: client.id, authenticated: false };
    }
    const presented = credentials.clientSecret;
    if (
      presented === undefined ||
      !safeEqual(keyedHash(ctx.secrets.pepper, presented), client.secretHash)
    ) {
      throw new BatonError('ERR_INVALID_CLIENT', 'client authentication failed', {
        detail: 'bad secret',
      });
    }
    return { id: client.id, authenticated: true };
  });
}

/**
 * Checks that `caller` may use a token of `client`: a confidential client's tokens need that
 * client authenticated; a public client's tokens need no authentication but no other client.
 */
export function checkClientBinding(client: ClientRecord, caller: ClientIdentity | undefined): void {
  if (client.secretHash !== null && (caller === undefined || !caller.authenticated)) {
    throw new BatonError('ERR_INVALID_CLIENT', 'client authentication is required', {
      detail: `token of confidential client ${client.id}`,
    });
  }
  if (caller !== undefined && caller.id !== client.id) {
    throw new BatonError('ERR_CLIENT_MISMATCH', 'the token was issued to another client');
  }
}
