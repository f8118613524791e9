import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * `size` bytes from the CSPRNG. Small requests are served from a pool refilled 4 KiB at a time:
 * a refresh needs three random values, and one system call per ~60 refreshes instead of three
 * per refresh is measurable on the hot path. Every byte is handed out once.
 */
export function randomBytesFast(size: number): Buffer {
  if (size > 256) return randomBytes(size);
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return bytes;
}

/**
 * A random identifier: `prefix` followed by `bytes` CSPRNG bytes in base64url.
 *
 * @example randomId('ses_', 16) // 'ses_3q2-7wEAAAC…'
 */
export function randomId(prefix: string, bytes: number): string {
  return prefix + randomBytesFast(bytes).toString('base64url');
}
