import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomBytesFast } from '../random-id.js';

/** Prefix of every refresh token, so that scanners and people recognise one. */
export const REFRESH_TOKEN_PREFIX = 'rt_';
/** Prefix of session ids; a session id is this and 16 random bytes in base64url (22 chars). */
export const SESSION_ID_PREFIX = 'ses_';

const RANDOM_BYTES = 32;
const TAG_BYTES = 16;
// generation (4) | random (32) | tag (16)
const BODY_BYTES = 4 + RANDOM_BYTES + TAG_BYTES;

// rt_ + the 22 characters of the session id + the body in base64url (70 characters).
const TAGGED_PATTERN = /^rt_([A-Za-z0-9_-]{22})([A-Za-z0-9_-]{70})$/;
// The earlier format, without generation and tag: rt_ + session id + 256 random bits.
const LEGACY_PATTERN = /^rt_([A-Za-z0-9_-]{22})[A-Za-z0-9_-]{43}$/;

function tagOf(tagKey: Buffer, sessionPart: string, head: Buffer): Buffer {
  return createHmac('sha256', tagKey)
    .update('baton/rt/v2:')
    .update(sessionPart)
    .update(head)
    .digest()
    .subarray(0, TAG_BYTES);
}

/**
 * A new opaque refresh token of a session, issued at `generation`: `rt_`, the session's id (not
 * a secret: access tokens carry it as `sid`), then 256 bits from the CSPRNG with the generation
 * and a 128-bit tag keyed by the server secret; 95 characters.
 *
 * Naming the session lets the store find the token by the session's key. The tag lets Baton
 * recognise its own tokens without storing them: junk is refused before any lookup, and a token
 * of an earlier generation, whose row was pruned, is still known to be genuine, so presenting it
 * is reuse.
 */
export function generateRefreshToken(
  tagKey: Buffer,
  sessionId: string,
  generation: number,
): string {
  const sessionPart = sessionId.slice(SESSION_ID_PREFIX.length);
  const body = Buffer.allocUnsafe(BODY_BYTES);
  body.writeUInt32BE(generation >>> 0, 0);
  randomBytesFast(RANDOM_BYTES).copy(body, 4);
  tagOf(tagKey, sessionPart, body.subarray(0, 4 + RANDOM_BYTES)).copy(body, 4 + RANDOM_BYTES);
  return REFRESH_TOKEN_PREFIX + sessionPart + body.toString('base64url');
}

/** What a presented refresh token says of itself. */
export type ParsedRefreshToken =
  /** Baton's own token (its tag verified), issued at `generation`. */
  | { format: 'tagged'; sessionId: string; generation: number }
  /** A token of the earlier format, which only its stored hash can vouch for. */
  | { format: 'legacy'; sessionId: string };

/**
 * Reads a presented refresh token: `undefined` for anything not shaped like one, `'forged'` for a
 * token of the tagged format whose tag does not verify (compared in constant time).
 */
export function parseRefreshToken(
  value: string,
  tagKey: Buffer,
): ParsedRefreshToken | 'forged' | undefined {
  const tagged = TAGGED_PATTERN.exec(value);
  if (tagged !== null) {
    const sessionPart = tagged[1] as string;
    const body = Buffer.from(tagged[2] as string, 'base64url');
    // 70 base64url characters carry 52 bytes and 4 spare bits, which must be zero.
    if (body.length !== BODY_BYTES || body.toString('base64url') !== tagged[2]) return 'forged';
    const head = body.subarray(0, 4 + RANDOM_BYTES);
    if (!timingSafeEqual(tagOf(tagKey, sessionPart, head), body.subarray(4 + RANDOM_BYTES)))
      return 'forged';
    return {
      format: 'tagged',
      sessionId: SESSION_ID_PREFIX + sessionPart,
      generation: body.readUInt32BE(0),
    };
  }
  const legacy = LEGACY_PATTERN.exec(value);
  if (legacy !== null) return { format: 'legacy', sessionId: SESSION_ID_PREFIX + legacy[1] };
  return undefined;
}

/** True when `value` has the shape of a refresh token (either format), whatever its tag. */
export function looksLikeRefreshToken(value: string): boolean {
  return TAGGED_PATTERN.test(value) || LEGACY_PATTERN.test(value);
}
