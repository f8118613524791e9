import type { AccessTokenClaims } from '../access-token.js';
import { retryBoxKey, seal } from '../sealed-box.js';
import { keyedHash } from '../secrets.js';
import { signNow, type SignerKey } from '../signer.js';
import type { TokenSet } from './token-set.js';

/** A key that signs access tokens: the signer's key and its pre-encoded JWS header. */
export interface MintKey extends SignerKey {
  /** base64url of the JWS protected header `{alg, typ: "at+jwt", kid}`. */
  readonly encodedHeader: string;
}

/** Everything needed to finish a token set, once its contents are decided. */
export interface MintJob {
  key: MintKey;
  claims: AccessTokenClaims;
  /** The token set except the access token, which minting signs. */
  tokens: Omit<TokenSet, 'accessToken'>;
  /** For a refresh: the presented refresh token, which keys the retry box. `null` at sign-in. */
  presentedToken: string | null;
  /** Binds the retry box to its session and generation. */
  boxAad: string;
}

/** A finished token set with what the store keeps of it. */
export interface Minted {
  tokens: TokenSet;
  /** Keyed hash of `tokens.accessToken`, kept with the session (see `accessHash`). */
  accessTokenHash: string;
  /** Keyed hash of `tokens.refreshToken` (`null` when there is no new refresh token). */
  refreshTokenHash: string | null;
  /** The token set sealed under the presented token (`null` at sign-in). */
  retryBox: Uint8Array | null;
}

/** The minted parts of a token set, in the compact form that crosses threads cheaply. */
export interface MintedParts {
  accessToken: string;
  /** Keyed hash of the access token: what tells a presented token is this very one. */
  accessTokenHash: string;
  refreshTokenHash: string | null;
  retryBox: Uint8Array | null;
}

/** What {@link mintParts} works from: a job in the string form that crosses threads. */
export interface MintInput {
  key: MintKey;
  /** The access token's claims as JSON. */
  claimsJson: string;
  /** The token set except the access token, as JSON. */
  restJson: string;
  /** The new refresh token to hash; `null` when there is none. */
  refreshToken: string | null;
  /** The credential presented for the refresh, which keys the retry box; `null` at sign-in. */
  presentedToken: string | null;
  boxAad: string;
  pepper: Buffer;
}

/**
 * Signs the access token, hashes the new refresh token under the pepper, and seals the whole
 * answer (`{accessToken, ...rest}`) into the retry box. These are the CPU-heavy steps of a
 * refresh and need nothing from the store.
 */
export function mintParts(input: MintInput): MintedParts {
  const { key, claimsJson, restJson, refreshToken, presentedToken, boxAad, pepper } = input;
  const signingInput = `${key.encodedHeader}.${Buffer.from(claimsJson).toString('base64url')}`;
  const accessToken = `${signingInput}.${signNow(key, Buffer.from(signingInput)).toString('base64url')}`;
  // The same bytes as JSON.stringify({ accessToken, ...rest }), without parsing `restJson`.
  const answer = `{"accessToken":${JSON.stringify(accessToken)},${restJson.slice(1)}`;
  return {
    accessToken,
    accessTokenHash: keyedHash(pepper, accessToken),
    refreshTokenHash: refreshToken === null ? null : keyedHash(pepper, refreshToken),
    retryBox:
      presentedToken === null
        ? null
        : seal(retryBoxKey(presentedToken), Buffer.from(answer), boxAad),
  };
}

/** A job in the string form that crosses threads (the claims and the rest as JSON). */
export function mintInput(job: MintJob, pepper: Buffer): MintInput {
  return {
    key: job.key,
    claimsJson: JSON.stringify(job.claims),
    restJson: JSON.stringify(job.tokens),
    refreshToken: job.tokens.refreshToken,
    presentedToken: job.presentedToken,
    boxAad: job.boxAad,
    pepper,
  };
}

/** The token set of a job, from what minting made of it: the one place a set is assembled. */
export function assembleMinted(job: MintJob, parts: MintedParts): Minted {
  return {
    tokens: { accessToken: parts.accessToken, ...job.tokens },
    accessTokenHash: parts.accessTokenHash,
    refreshTokenHash: parts.refreshTokenHash,
    retryBox: parts.retryBox,
  };
}

/** Finishes a token set on the calling thread (see {@link mintParts}). */
export function mintNow(job: MintJob, pepper: Buffer): Minted {
  return assembleMinted(job, mintParts(mintInput(job, pepper)));
}

/**
 * Runs {@link mintNow}: on the calling thread (`createInlineMinter`) or on a worker thread
 * (`createThreadedMinter`).
 */
export interface Minter {
  mint(job: MintJob): Promise<Minted>;
  close(): Promise<void>;
}

/** A {@link Minter} on the calling thread. */
export function createInlineMinter(pepper: Buffer): Minter {
  return {
    mint: async (job) => mintNow(job, pepper),
    close: async () => undefined,
  };
}
