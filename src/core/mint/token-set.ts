import type { ServiceContext } from '../context.js';
import { BatonError } from '../errors.js';
import type { Minted } from './mint.js';
import { randomId } from '../random-id.js';
import type { ClientRecord } from '../records.js';
import type { SessionShape } from '../session-shapes.js';

/** What a sign-in or a refresh hands to the client; each face renders it in its own format. */
export interface TokenSet {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds the access token lives from issue. */
  expiresIn: number;
  accessExpiresAt: number;
  /** The new refresh token; `null` when the session does not rotate (keep the one you have). */
  refreshToken: string | null;
  /** When the refresh token stops working unless used: idle limit or session end, the earlier. */
  refreshExpiresAt: number;
  /** Absolute end of the session. */
  sessionExpiresAt: number;
  scope: string;
  sessionId: string;
  subject: string;
  clientId: string;
  /** Session generation of the access token. */
  generation: number;
}

/** Parameters of {@link issueTokenSet}. */
interface IssueTokenSetParams {
  generation: number;
  scope: string;
  refreshToken: string | null;
  now: number;
  /** The credential presented for this refresh, which keys its retry box; `null` at sign-in. */
  presentedToken: string | null;
}

/** The first tokens of a session: a new refresh token, and no retry box (nothing was presented). */
export async function issueFirstTokens(
  ctx: ServiceContext,
  session: SessionShape,
  client: ClientRecord,
  params: { scope: string; refreshToken: string; now: number },
): Promise<{ tokens: TokenSet; refreshTokenHash: string; accessTokenHash: string }> {
  const minted = await issueTokenSet(ctx, session, client, {
    ...params,
    generation: 0,
    presentedToken: null,
  });
  if (minted.refreshTokenHash === null) throw mintedWrong('no refresh-token hash');
  return {
    tokens: minted.tokens,
    refreshTokenHash: minted.refreshTokenHash,
    accessTokenHash: minted.accessTokenHash,
  };
}

/** The answer of a refresh, sealed into a retry box under the presented credential. */
export async function issueRefreshAnswer(
  ctx: ServiceContext,
  session: SessionShape,
  client: ClientRecord,
  params: IssueTokenSetParams & { presentedToken: string },
): Promise<{
  tokens: TokenSet;
  accessTokenHash: string;
  refreshTokenHash: string | null;
  retryBox: Uint8Array;
}> {
  const minted = await issueTokenSet(ctx, session, client, params);
  if (minted.retryBox === null) throw mintedWrong('no retry box');
  return {
    tokens: minted.tokens,
    accessTokenHash: minted.accessTokenHash,
    refreshTokenHash: minted.refreshTokenHash,
    retryBox: minted.retryBox,
  };
}

const mintedWrong = (detail: string): BatonError =>
  new BatonError('ERR_INTERNAL', 'the tokens could not be minted', { detail });

/**
 * Decides the token set of `session` at `generation` and has it minted (signed, hashed, sealed;
 * see `mintNow`). The access token never outlives the session.
 */
async function issueTokenSet(
  ctx: ServiceContext,
  session: SessionShape,
  client: ClientRecord,
  params: IssueTokenSetParams,
): Promise<Minted> {
  const { now, generation, scope } = params;
  const accessExpiresAt = Math.min(now + session.accessTtl, session.expiresAt);
  return ctx.minter.mint({
    key: ctx.keyring.active(),
    claims: {
      ...session.claims,
      iss: ctx.options.issuer,
      sub: session.subject,
      aud: client.audience ?? ctx.options.issuer,
      exp: accessExpiresAt,
      iat: now,
      jti: randomId('', 16),
      sid: session.id,
      client_id: session.clientId,
      ...(scope === '' ? {} : { scope }),
      gen: generation,
    },
    tokens: {
      tokenType: 'Bearer',
      expiresIn: accessExpiresAt - now,
      accessExpiresAt,
      refreshToken: params.refreshToken,
      refreshExpiresAt: Math.min(session.expiresAt, now + session.idleTtl),
      sessionExpiresAt: session.expiresAt,
      scope,
      sessionId: session.id,
      subject: session.subject,
      clientId: session.clientId,
      generation,
    },
    presentedToken: params.presentedToken,
    boxAad: retryBoxAad(session.id, generation),
  });
}

/** Binds a retry box to its session and generation. */
export function retryBoxAad(sessionId: string, generation: number): string {
  return `${sessionId}:${generation}`;
}
