import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Keys derived from the master secret (`BATON_SECRET`, or one generated into the store). */
export interface ServiceSecrets {
  /** HMAC key for refresh-token and client-secret hashes. */
  pepper: Buffer;
  /** HMAC key of the tag that marks a refresh token as Baton's (see `refresh-token.ts`). */
  tokenTagKey: Buffer;
  /** AES-256-GCM key that seals private signing keys; `null` when no master secret is set. */
  keyEncryptionKey: Buffer | null;
  /** A value that identifies the secret without revealing it, kept in the store. */
  fingerprint: string;
}

function derive(secret: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'baton', info, 32));
}

/**
 * Derives the service keys from a master secret. `sealKeys` says whether private signing keys
 * are encrypted (only when the operator configured the secret; a generated secret lives in the
 * same store as the keys, so sealing with it would protect nothing).
 */
export function deriveSecrets(secret: string, sealKeys: boolean): ServiceSecrets {
  return {
    pepper: derive(secret, 'baton/pepper/v1'),
    tokenTagKey: derive(secret, 'baton/refresh-token-tag/v1'),
    keyEncryptionKey: sealKeys ? derive(secret, 'baton/key-encryption/v1') : null,
    fingerprint: derive(secret, 'baton/fingerprint/v1').toString('base64url'),
  };
}

/** A new random master secret (256 bits, base64url). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Keyed hash of a secret value (HMAC-SHA-256, base64url). */
export function keyedHash(pepper: Buffer, value: string): string {
  return createHmac('sha256', pepper).update(value).digest('base64url');
}

/** Compares two keyed hashes (base64url, as {@link keyedHash} makes them) in constant time. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'base64url');
  const right = Buffer.from(b, 'base64url');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Compares two secret strings in constant time. */
export function safeEqual(a: string, b: string): boolean {
  // Hashing first makes both sides 32 bytes, so timingSafeEqual never sees unequal lengths.
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
