import { RESERVED_CLAIMS } from './access-token.js';
import { DEFAULT_CLIENT_ID } from './clients.js';
import { MAX_ACCESS_TTL, MAX_REFRESH_TTL } from './config.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { randomId } from './random-id.js';
import { generateRefreshToken, SESSION_ID_PREFIX } from './refresh/refresh-token.js';
import { checkScope } from './scope.js';
import { isWellFormed, isWellFormedDeep } from './text.js';
import type { SessionRecord } from './records.js';
import { issueFirstTokens, type TokenSet } from './mint/token-set.js';

/** Longest subject, in characters. */
export const MAX_SUBJECT_LENGTH = 255;
// Subjects end up in logs, events and other databases: no NULs, newlines or escapes.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Largest custom-claims object, in bytes of JSON. */
export const MAX_CLAIMS_BYTES = 4096;

/** A sign-in the application has already verified. Lifetimes are seconds. */
export interface IssueSessionInput {
  subject: string;
  clientId?: string;
  scope?: string;
  claims?: Record<string, unknown>;
  accessTtl?: number;
  refreshTtl?: number;
  idleTtl?: number;
}

function invalid(description: string): BatonError {
  return new BatonError('ERR_INVALID_REQUEST', description);
}

function ttl(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw invalid(`${name} must be an integer number of seconds from 1 to ${max}`);
  }
  return value;
}

function checkClaims(claims: unknown): Record<string, unknown> {
  if (claims === undefined) return {};
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    throw invalid('claims must be a JSON object');
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIMS.has(name))
      throw invalid(`claims must not set the registered claim "${name}"`);
  }
  // Names and values both: a token must say exactly what was stored.
  if (!isWellFormedDeep(claims)) throw invalid('claims must be well-formed Unicode');
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CLAIMS_BYTES) {
    throw invalid(`claims must be at most ${MAX_CLAIMS_BYTES} bytes of JSON`);
  }
  return claims as Record<string, unknown>;
}

/**
 * Starts a session for a subject the application has signed in, and issues its first tokens.
 * Per-session lifetimes override the client's, which override the service defaults.
 */
export async function issueSession(
  ctx: ServiceContext,
  input: IssueSessionInput,
): Promise<TokenSet & { refreshToken: string }> {
  if (
    typeof input.subject !== 'string' ||
    input.subject.length === 0 ||
    input.subject.length > MAX_SUBJECT_LENGTH ||
    CONTROL_CHARACTERS.test(input.subject) ||
    !isWellFormed(input.subject)
  ) {
    throw invalid(
      `subject must be 1 to ${MAX_SUBJECT_LENGTH} characters of well-formed Unicode, without control characters`,
    );
  }
  const clientId = input.clientId ?? DEFAULT_CLIENT_ID;
  const client = typeof clientId === 'string' ? await ctx.clients.get(clientId) : undefined;
  if (client === undefined) throw invalid(`unknown client ${JSON.stringify(clientId)}`);
  const scope = input.scope ?? '';
  if (typeof scope !== 'string') throw invalid('scope must be a string');
  if (!isWellFormed(scope)) throw invalid('scope must be well-formed Unicode');
  try {
    checkScope(scope);
  } catch {
    throw invalid('scope must be space-separated scope tokens (RFC 6749 §3.3)');
  }
  const claims = checkClaims(input.claims);
  const { options } = ctx;
  const accessTtl = ttl(
    'accessTtl',
    input.accessTtl,
    client.accessTtl ?? options.accessTtl,
    MAX_ACCESS_TTL,
  );
  const refreshTtl = ttl(
    'refreshTtl',
    input.refreshTtl,
    client.refreshTtl ?? options.refreshTtl,
    MAX_REFRESH_TTL,
  );
  const idleTtl = ttl('idleTtl', input.idleTtl, client.idleTtl ?? options.idleTtl, MAX_REFRESH_TTL);

  const now = ctx.clock.now();
  const session: SessionRecord = {
    id: randomId(SESSION_ID_PREFIX, 16),
    subject: input.subject,
    clientId: client.id,
    scope,
    claims,
    createdAt: now,
    expiresAt: now + refreshTtl,
    idleTtl,
    accessTtl,
    rotate: client.rotate ?? options.rotate,
    lastActiveAt: now,
    generation: 0,
    rotatedAtMs: null,
    accessHash: null,
    revokedAt: null,
    revokeReason: null,
  };
  const refreshToken = generateRefreshToken(ctx.secrets.tokenTagKey, session.id, 0);
  const { tokens, refreshTokenHash, accessTokenHash } = await issueFirstTokens(
    ctx,
    session,
    client,
    {
      scope,
      refreshToken,
      now,
    },
  );
  await ctx.store.createSession(
    { ...session, accessHash: accessTokenHash },
    {
      hash: refreshTokenHash,
      sessionId: session.id,
      generation: 0,
      createdAt: now,
    },
  );
  ctx.shapes.remember(session);
  return { ...tokens, refreshToken };
}
