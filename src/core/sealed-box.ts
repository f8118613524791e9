import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { randomBytesFast } from './random-id.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts `plaintext` with AES-256-GCM under `key`, binding `aad`. Layout: iv | tag | ciphertext.
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  const iv = randomBytesFast(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Opens a {@link seal}ed box; `undefined` when the key, the aad or the bytes do not match. */
export function open(key: Uint8Array, box: Uint8Array, aad: string): Buffer | undefined {
  if (box.length < IV_BYTES + TAG_BYTES) return undefined;
  const bytes = Buffer.from(box.buffer, box.byteOffset, box.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * The key of a session's retry box, derived from the refresh token presented for the refresh.
 * The store holds only the token's keyed hash, so it cannot derive this key.
 */
export function retryBoxKey(refreshToken: string): Buffer {
  // The token carries 256 random bits, so one HMAC keyed by it is a sound key derivation (the
  // expand step of HKDF, one block), at a seventh of hkdfSync's cost on the refresh path.
  return createHmac('sha256', refreshToken).update('baton/retry-box/v1').digest();
}
