import { randomBytes } from 'node:crypto';

/**
 * A random identifier: `prefix` followed by `bytes` CSPRNG bytes in base64url.
 *
 * @example randomId('ses_', 16) // 'ses_3q2-7wEAAAC…'
 */
export function randomId(prefix: string, bytes: number): string {
  return prefix + randomBytes(bytes).toString('base64url');
}
