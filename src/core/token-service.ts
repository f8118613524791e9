import type { JWK } from 'jose';
import { loadAdminToken, type AdminTokenVerifier } from './admin-token.js';
import { checkAccessToken, type CheckedAccessToken } from './check-access-token.js';
import { createClientCache } from './client-cache.js';
import { BatonError } from './errors.js';
import { guardGuessable } from './failure-limits.js';
import {
  authenticateClient,
  createClient,
  describeClient,
  ensureDefaultClient,
  type ClientCredentials,
  type ClientIdentity,
  type ClientInput,
  type ClientSettingsInput,
  type ClientView,
} from './clients.js';
import { systemClock, type Clock } from './clock.js';
import {
  resolveServiceOptions,
  type ResolvedServiceOptions,
  type ServiceOptions,
} from './config.js';
import type { ServiceContext } from './context.js';
import { createEventHub, silentEventSink, type EventSink } from './events.js';
import { introspect, type Introspection, type IntrospectionCaller } from './introspect.js';
import { isOriginAllowed } from './origins.js';
import { issueSession, type IssueSessionInput } from './issue-session.js';
import { deleteClient } from './delete-client.js';
import { createKeyring, KEY_RETENTION_TTL } from './keyring.js';
import { createMemoryRateLimiter, type RateLimiter } from './rate-limiter.js';
import { refresh, type RefreshRequest } from './refresh/refresh.js';
import type { RefreshResult } from './refresh/run-refresh.js';
import {
  listRevocations,
  type RevocationList,
  type RevocationListCaller,
} from './revocation-list.js';
import {
  refreshByAccessToken,
  type AccessTokenRefreshRequest,
} from './refresh/refresh-by-access-token.js';
import { revokeSession, revokeSessions, revokeToken, type RevokeReason } from './revoke.js';
import { loadServiceSecrets } from './service-secrets.js';
import { describeSession, type SessionView } from './session-view.js';
import { createInlineMinter } from './mint/mint.js';
import { createThreadedMinter } from './mint/threaded-minter.js';
import type { LoadedKey } from './signing-keys.js';
import { localInvalidationBus, type InvalidationBus } from './invalidations.js';
import type { SigningKeyRecord } from './records.js';
import type { NewSecurityEvent, SecurityEvent } from './security-events.js';
import type { EventQuery, SessionQuery, Store, SweepResult } from './store.js';
import { createSessionShapes } from './session-shapes.js';
import { sweep } from './sweep.js';
import type { TokenSet } from './mint/token-set.js';
import { recordEvent, securityEvent } from './record-event.js';
import { updateClient } from './update-client.js';

/** What `createTokenService` needs: the options plus the parts it talks to the world through. */
export interface TokenServiceOptions extends ServiceOptions {
  store: Store;
  clock?: Clock;
  limiter?: RateLimiter;
  events?: EventSink;
  /** The channel to other instances (Redis); a single instance needs none. */
  invalidations?: InvalidationBus;
  /** The admin token; generated into the store on first start when absent. */
  adminToken?: string;
  /**
   * Mint tokens (sign, hash, seal) on a worker thread, beside the event loop. Default false:
   * on the calling thread, which suits tests and one-shot commands.
   */
  mintOnWorker?: boolean;
}

/** A signing key as operators see it. Times are epoch seconds. */
export interface KeyView {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  createdAt: number;
  retiredAt: number | null;
  /** Until when a retired key stays in the JWKS; `null` for the active key. */
  publishedUntil: number | null;
}

/** The token service: one core that every face (OAuth, admin, dialects, CLI) calls. */
export interface TokenService {
  readonly options: ResolvedServiceOptions;
  /** Which store backs the service (`memory`, `sqlite`, `postgres`), for logs and `/readyz`. */
  readonly storeKind: string;
  /** The admin token generated on this start, to be shown once; otherwise `undefined`. */
  readonly generatedAdminToken: string | undefined;

  refresh(request: RefreshRequest): Promise<RefreshResult>;
  /** Refreshes with an unexpired access token alone (payabli, transak); see docs/dialects.md. */
  refreshByAccessToken(request: AccessTokenRefreshRequest): Promise<RefreshResult>;
  issueSession(input: IssueSessionInput): Promise<TokenSet & { refreshToken: string }>;
  /** Whether a browser on `origin` may call the public endpoints (see `isOriginAllowed`). */
  isOriginAllowed(origin: string): Promise<boolean>;
  /** Checks client credentials; failures count against `ip`'s rate limit. */
  authenticateClient(credentials: ClientCredentials, ip?: string): Promise<ClientIdentity>;
  /** RFC 7662 introspection for the admin token or an authenticated client (see `introspect`). */
  introspect(token: string, caller: IntrospectionCaller): Promise<Introspection>;
  /** The revocation list resource servers poll (see `listRevocations`). */
  listRevocations(caller: RevocationListCaller, after?: string): Promise<RevocationList>;
  checkAccessToken(token: string): Promise<CheckedAccessToken>;
  revokeToken(token: string, caller: ClientIdentity | undefined, ip?: string): Promise<void>;
  revokeSession(id: string, reason: RevokeReason, ip?: string): Promise<boolean>;
  revokeSubject(subject: string): Promise<number>;
  getSession(id: string): Promise<SessionView | undefined>;
  listSessions(query: SessionQuery): Promise<SessionView[]>;

  createClient(input: ClientInput): Promise<{ client: ClientView; clientSecret?: string }>;
  listClients(): Promise<ClientView[]>;
  deleteClient(id: string): Promise<{ revokedSessions: number }>;
  /** Changes a client's settings, keeping its secret; `null` clears one (see `updateClient`). */
  updateClient(id: string, changes: ClientSettingsInput): Promise<{ client: ClientView }>;

  listKeys(): Promise<KeyView[]>;
  rotateKeys(): Promise<KeyView>;
  jwks(): { keys: JWK[] };
  reloadKeys(): Promise<void>;

  listEvents(query: EventQuery): Promise<SecurityEvent[]>;
  /** Calls `listener` with every security event this instance records; returns unsubscribe. */
  subscribeEvents(listener: (event: NewSecurityEvent) => void): () => void;
  /** Sessions live right now: a scan, for sampling every few minutes (see `Store`). */
  countLiveSessions(): Promise<number>;
  /**
   * Checks a presented admin token; throws `ERR_ADMIN_UNAUTHORIZED`, or `ERR_RATE_LIMITED` when
   * `ip` has failed too often.
   */
  authenticateAdmin(token: string | undefined, ip?: string): Promise<void>;
  /** One sweep batch; see `sweep`. */
  sweep(): Promise<SweepResult & { more: boolean }>;
  /** Resolves when the store answers. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

function keyView(key: Pick<SigningKeyRecord, 'kid' | 'alg' | 'createdAt' | 'retiredAt'>): KeyView {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.retiredAt === null ? 'active' : 'retired',
    createdAt: key.createdAt,
    retiredAt: key.retiredAt,
    publishedUntil: key.retiredAt === null ? null : key.retiredAt + KEY_RETENTION_TTL,
  };
}

/**
 * Creates the token service over a store: validates the options (throwing `ERR_INVALID_CONFIG`
 * with one clear line), loads the secrets, the keys and the admin token, and makes sure the
 * `default` client exists.
 *
 * @example const service = await createTokenService({ issuer: 'http://localhost:8080', store })
 */
export async function createTokenService(options: TokenServiceOptions): Promise<TokenService> {
  const resolved = resolveServiceOptions(options);
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const events = createEventHub(options.events ?? silentEventSink);
  const secrets = await loadServiceSecrets(store, resolved.secret);
  const { keyring, rotated } = await createKeyring(
    store,
    clock,
    resolved.alg,
    secrets.keyEncryptionKey,
  );
  const admin: { verifier: AdminTokenVerifier; generated: string | undefined } =
    await loadAdminToken(store, options.adminToken, clock);
  const ctx: ServiceContext = {
    store,
    clock,
    options: resolved,
    secrets,
    keyring,
    limiter: options.limiter ?? createMemoryRateLimiter(),
    events,
    clients: createClientCache(store, clock),
    bus: options.invalidations ?? localInvalidationBus,
    minter:
      options.mintOnWorker === true
        ? createThreadedMinter(secrets.pepper)
        : createInlineMinter(secrets.pepper),
    shapes: createSessionShapes(),
  };
  await ensureDefaultClient(ctx);
  // What other instances changed: drop it here too (our own messages come back; harmless).
  const unsubscribe = ctx.bus.subscribe((message) => {
    if (message.type === 'client') ctx.clients.invalidate(message.id);
    else keyring.reload().catch(() => {});
  });

  const recordKeyRotation = (key: LoadedKey): Promise<void> =>
    recordEvent(ctx, securityEvent('key.rotated', key.createdAt, { detail: key.kid }));
  if (rotated !== undefined) await recordKeyRotation(rotated);

  return {
    options: resolved,
    storeKind: store.kind,
    generatedAdminToken: admin.generated,
    refresh: (request) => refresh(ctx, request),
    refreshByAccessToken: (request) => refreshByAccessToken(ctx, request),
    issueSession: (input) => issueSession(ctx, input),
    authenticateClient: (credentials, ip) => authenticateClient(ctx, credentials, ip),
    isOriginAllowed: (origin) => isOriginAllowed(ctx, origin),
    introspect: (token, caller) => introspect(ctx, token, caller),
    listRevocations: (caller, after) => listRevocations(ctx, caller, after),
    checkAccessToken: (token) => checkAccessToken(ctx, token),
    revokeToken: (token, caller, ip) => revokeToken(ctx, token, caller, ip),
    revokeSession: (id, reason, ip) => revokeSession(ctx, id, reason, ip),
    revokeSubject: (subject) => revokeSessions(ctx, { subject }, 'subject'),
    async getSession(id) {
      const session = await store.getSession(id);
      return session === undefined ? undefined : describeSession(session, clock.now());
    },
    async listSessions(query) {
      const now = clock.now();
      return (await store.listSessions(query)).map((session) => describeSession(session, now));
    },
    createClient: (input) => createClient(ctx, input),
    listClients: async () => (await store.listClients()).map(describeClient),
    deleteClient: (id) => deleteClient(ctx, id),
    updateClient: (id, changes) => updateClient(ctx, id, changes),
    listKeys: async () => (await store.listKeys()).map(keyView),
    async rotateKeys() {
      const key = await keyring.rotate(resolved.alg);
      await recordKeyRotation(key);
      await ctx.bus.publish({ type: 'keys' });
      return keyView(key);
    },
    jwks: () => keyring.jwks(),
    reloadKeys: () => keyring.reload(),
    listEvents: (query) => store.listEvents(query),
    subscribeEvents: (listener) => events.subscribe(listener),
    countLiveSessions: () => store.countLiveSessions(clock.now()),
    authenticateAdmin: (token, ip) =>
      guardGuessable(ctx, 'admin', ip, async () => {
        if (token === undefined || !(await admin.verifier.verify(token))) {
          throw new BatonError('ERR_ADMIN_UNAUTHORIZED', 'a valid admin token is required');
        }
      }),
    sweep: () => sweep(ctx),
    ready: () => store.ping(),
    async close() {
      unsubscribe();
      await ctx.minter.close();
      await store.close();
    },
  };
}
