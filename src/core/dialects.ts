import { BatonError } from './errors.js';
import type { ClientRecord } from './records.js';

/** The wire dialects Baton speaks besides OAuth (docs/dialects.md), by name. */
export const DIALECT_NAMES = ['payabli', 'transak', 'sevenG', 'aisquare', 'adid'] as const;

/** One of {@link DIALECT_NAMES}. */
export type DialectName = (typeof DIALECT_NAMES)[number];

/** True when `name` names a dialect. */
export function isDialectName(name: string): name is DialectName {
  return (DIALECT_NAMES as readonly string[]).includes(name);
}

/**
 * Whether sessions of `client` may be refreshed through `dialect`. Without a per-client list a
 * public client allows every dialect and a confidential one none: dialect requests carry no
 * client authentication, which RFC 6749 §6 requires of a confidential client.
 */
export function allowsDialect(client: ClientRecord, dialect: DialectName): boolean {
  if (client.dialects !== null) return client.dialects.includes(dialect);
  return client.secretHash === null;
}

/** Throws `ERR_DIALECT_DISABLED` unless `client` allows `dialect`. */
export function checkDialectAllowed(client: ClientRecord, dialect: DialectName): void {
  if (!allowsDialect(client, dialect)) {
    throw new BatonError(
      'ERR_DIALECT_DISABLED',
      `the ${dialect} refresh is switched off for this client`,
      { detail: `client ${client.id}` },
    );
  }
}

/** Validates a client's dialect list (operator input). */
export function parseDialectList(value: unknown): DialectName[] {
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string'))
    throw new BatonError('ERR_INVALID_REQUEST', 'dialects must be an array of dialect names');
  const names = value as string[];
  for (const name of names) {
    if (!isDialectName(name)) {
      throw new BatonError(
        'ERR_INVALID_REQUEST',
        `unknown dialect ${JSON.stringify(name.slice(0, 40))} (known: ${DIALECT_NAMES.join(', ')})`,
      );
    }
  }
  return [...new Set(names as DialectName[])];
}
