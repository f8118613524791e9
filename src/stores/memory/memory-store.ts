import {
  REVOCATION_EVENT_TYPES,
  sessionEndOf,
  type ClientRecord,
  type EventQuery,
  type NewSecurityEvent,
  type RefreshTokenRecord,
  type RevocationQuery,
  type RevocationRecord,
  type RotateOperation,
  type SecurityEvent,
  type SessionFilter,
  type SessionQuery,
  type SessionRecord,
  type SigningKeyRecord,
  type Store,
  type SweepCutoffs,
  type SweepResult,
} from '../../core/index.js';
import { copySession, deepFreeze, refuseAfterClose } from './memory-helpers.js';

/**
 * A store in process memory, for tests and throw-away runs. Every method runs to completion
 * without awaiting, which makes each one atomic on Node's single thread.
 */
export function createMemoryStore(): Store {
  const meta = new Map<string, string>();
  const clients = new Map<string, ClientRecord>();
  const sessions = new Map<string, SessionRecord>();
  const tokens = new Map<string, RefreshTokenRecord>();
  const tokensBySession = new Map<string, Set<string>>();
  const retryBoxes = new Map<string, { generation: number; box: Uint8Array }>();
  const revokedJtis = new Map<string, number>();
  const keys: SigningKeyRecord[] = [];
  const events: SecurityEvent[] = [];
  let nextEventId = 1;
  let closed = false;

  function addToken(token: RefreshTokenRecord): void {
    tokens.set(token.hash, { ...token });
    let set = tokensBySession.get(token.sessionId);
    if (set === undefined) tokensBySession.set(token.sessionId, (set = new Set()));
    set.add(token.hash);
  }

  function append(event: NewSecurityEvent): void {
    events.push({ ...event, id: nextEventId++ });
  }

  const store: Store = {
    kind: 'memory',
    ping: async () => undefined,
    close: async () => {
      closed = true;
    },

    getMeta: async (key) => meta.get(key),
    async initMeta(key, value) {
      if (!meta.has(key)) meta.set(key, value);
      return meta.get(key) as string;
    },
    async setMeta(key, value) {
      meta.set(key, value);
    },

    getClient: async (id) => {
      const client = clients.get(id);
      return client === undefined ? undefined : { ...client };
    },
    listClients: async () =>
      [...clients.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((c) => ({ ...c })),
    async insertClient(client) {
      if (clients.has(client.id)) return false;
      clients.set(client.id, { ...client });
      return true;
    },
    async replaceClient(client) {
      clients.set(client.id, { ...client });
    },
    deleteClient: async (id) => clients.delete(id),

    async createSession(session, token) {
      sessions.set(session.id, {
        ...copySession(session),
        claims: deepFreeze(structuredClone(session.claims)),
      });
      addToken(token);
    },
    getSession: async (id) => {
      const session = sessions.get(id);
      return session === undefined ? undefined : copySession(session);
    },
    async listSessions(query: SessionQuery) {
      return [...sessions.values()]
        .filter(
          (s) =>
            (query.subject === undefined || s.subject === query.subject) &&
            (query.clientId === undefined || s.clientId === query.clientId) &&
            (query.after === undefined || s.id > query.after),
        )
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, query.limit)
        .map(copySession);
    },
    async getRetryBox(sessionId, generation) {
      const entry = retryBoxes.get(sessionId);
      const session = sessions.get(sessionId);
      if (
        entry === undefined ||
        session?.generation !== generation ||
        entry.generation !== generation
      )
        return undefined;
      return Uint8Array.from(entry.box);
    },
    async findRefreshToken(sessionId, hash) {
      const found = tokens.get(hash);
      const token = found?.sessionId === sessionId ? found : undefined;
      const session = token === undefined ? undefined : sessions.get(token.sessionId);
      if (token === undefined || session === undefined) return undefined;
      return { token: { ...token }, session: copySession(session) };
    },
    async rotate(op: RotateOperation) {
      const session = sessions.get(op.sessionId);
      if (
        session === undefined ||
        session.generation !== op.fromGeneration ||
        session.revokedAt !== null ||
        session.expiresAt <= op.at ||
        session.lastActiveAt + session.idleTtl <= op.at
      ) {
        return false;
      }
      session.generation = op.toGeneration;
      session.lastActiveAt = op.at;
      session.rotatedAtMs = op.atMs;
      session.accessHash = op.accessHash;
      retryBoxes.set(session.id, {
        generation: op.toGeneration,
        box: Uint8Array.from(op.retryBox),
      });
      const change = op.tokens;
      if (change.kind === 'keep') return true;
      const owned = tokensBySession.get(op.sessionId) ?? new Set<string>();
      for (const hash of owned) {
        const token = tokens.get(hash);
        if (token === undefined) continue;
        if (token.generation < op.fromGeneration) {
          tokens.delete(hash);
          owned.delete(hash);
        } else if (change.kind === 'carry' && token.generation === op.fromGeneration) {
          token.generation = op.toGeneration;
        }
      }
      if (change.kind === 'rotate') addToken(change.next);
      return true;
    },
    async revokeSession(id, at, reason, event) {
      const session = sessions.get(id);
      if (session === undefined || session.revokedAt !== null) return false;
      session.revokedAt = at;
      session.revokeReason = reason;
      if (event !== undefined) append(event);
      return true;
    },
    async revokeSessions(filter: SessionFilter, at, reason, event) {
      const revoked: { id: string; subject: string; clientId: string }[] = [];
      for (const session of sessions.values()) {
        const matches =
          'subject' in filter
            ? session.subject === filter.subject
            : session.clientId === filter.clientId;
        if (matches && session.revokedAt === null) {
          session.revokedAt = at;
          session.revokeReason = reason;
          revoked.push({ id: session.id, subject: session.subject, clientId: session.clientId });
        }
      }
      revoked.sort((a, b) => (a.id < b.id ? -1 : 1));
      for (const { id, subject, clientId } of revoked) {
        append({ ...event, sessionId: id, subject, clientId });
      }
      return revoked;
    },

    async revokeAccessToken(jti, expiresAt, event) {
      if (revokedJtis.has(jti)) return false;
      revokedJtis.set(jti, expiresAt);
      append(event);
      return true;
    },
    isAccessTokenRevoked: async (jti) => revokedJtis.has(jti),

    listKeys: async () =>
      [...keys]
        .sort((a, b) => b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : -1))
        .map((k) => ({ ...k })),
    async addFirstKey(key) {
      if (keys.some((k) => k.retiredAt === null)) return false;
      keys.push({ ...key, retiredAt: null });
      return true;
    },
    async rotateKey(key) {
      for (const k of keys) if (k.retiredAt === null) k.retiredAt = key.createdAt;
      keys.push({ ...key, retiredAt: null });
    },

    appendEvent: async (event) => append(event),
    async listEvents(query: EventQuery) {
      return events
        .filter(
          (e) =>
            (query.type === undefined || e.type === query.type) &&
            (query.since === undefined || e.at >= query.since) &&
            (query.afterId === undefined || e.id > query.afterId),
        )
        .slice(0, query.limit)
        .map((e) => ({ ...e }));
    },

    async listRevocations(query: RevocationQuery) {
      const types: readonly string[] = REVOCATION_EVENT_TYPES;
      const found: RevocationRecord[] = [];
      for (const e of events) {
        if (found.length >= query.limit) break;
        if (e.id <= query.afterId || e.at < query.since || !types.includes(e.type)) continue;
        if (query.clientIds !== undefined && !query.clientIds.includes(e.clientId ?? '')) continue;
        if (e.type !== 'access_token.revoked') {
          if (e.sessionId !== null)
            found.push({ id: e.id, at: e.at, kind: 'session', sessionId: e.sessionId });
          continue;
        }
        const expiresAt = e.detail === null ? undefined : revokedJtis.get(e.detail);
        if (e.detail !== null && expiresAt !== undefined)
          found.push({ id: e.id, at: e.at, kind: 'jti', jti: e.detail, expiresAt });
      }
      return found;
    },

    async countLiveSessions(now) {
      let live = 0;
      for (const s of sessions.values()) {
        if (s.revokedAt === null && s.expiresAt > now && s.lastActiveAt + s.idleTtl > now) live++;
      }
      return live;
    },

    async sweep(cutoffs: SweepCutoffs): Promise<SweepResult> {
      const result: SweepResult = { sessions: 0, revokedAccessTokens: 0, events: 0, keys: 0 };
      for (const session of sessions.values()) {
        if (result.sessions >= cutoffs.limit) break;
        if (sessionEndOf(session) >= cutoffs.sessionsEndedBefore) continue;
        for (const hash of tokensBySession.get(session.id) ?? []) tokens.delete(hash);
        tokensBySession.delete(session.id);
        retryBoxes.delete(session.id);
        sessions.delete(session.id);
        result.sessions++;
      }
      for (const [jti, expiresAt] of revokedJtis) {
        if (result.revokedAccessTokens >= cutoffs.limit) break;
        if (expiresAt < cutoffs.accessTokensExpiredBefore) {
          revokedJtis.delete(jti);
          result.revokedAccessTokens++;
        }
      }
      while (
        result.events < cutoffs.limit &&
        events.length > 0 &&
        (events[0] as SecurityEvent).at < cutoffs.eventsBefore
      ) {
        events.shift();
        result.events++;
      }
      for (let i = keys.length - 1; i >= 0 && result.keys < cutoffs.limit; i--) {
        const key = keys[i] as SigningKeyRecord;
        if (key.retiredAt !== null && key.retiredAt < cutoffs.keysRetiredBefore) {
          keys.splice(i, 1);
          result.keys++;
        }
      }
      return result;
    },
  };
  return refuseAfterClose(store, () => closed);
}
