import type { FastifyRequest } from 'fastify';
import { BatonError, type ClientCredentials } from '../core/index.js';

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new BatonError('ERR_INVALID_CLIENT', 'malformed HTTP Basic credentials');
  }
}

/**
 * Client credentials of a token-endpoint request (RFC 6749 §2.3.1): HTTP Basic, whose id and
 * secret are form-urlencoded before base64, or `client_id`/`client_secret` in the body. Using
 * both is refused. `undefined` when the request carries no client identification at all.
 */
export function readClientCredentials(
  request: FastifyRequest,
  read: (name: string) => string | undefined,
): ClientCredentials | undefined {
  const header = request.headers.authorization;
  const bodyId = read('client_id');
  const bodySecret = read('client_secret');
  if (header !== undefined && /^basic /i.test(header)) {
    if (bodySecret !== undefined) {
      throw new BatonError(
        'ERR_INVALID_REQUEST',
        'use one client authentication method, not HTTP Basic and client_secret',
      );
    }
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new BatonError('ERR_INVALID_CLIENT', 'malformed HTTP Basic credentials');
    const clientId = formDecode(decoded.slice(0, colon));
    if (bodyId !== undefined && bodyId !== clientId) {
      throw new BatonError('ERR_INVALID_REQUEST', 'client_id differs from the HTTP Basic client');
    }
    return { clientId, clientSecret: formDecode(decoded.slice(colon + 1)) };
  }
  if (bodyId === undefined || bodyId === '') {
    if (bodySecret !== undefined)
      throw new BatonError('ERR_INVALID_REQUEST', 'client_secret needs client_id');
    return undefined;
  }
  return bodySecret === undefined
    ? { clientId: bodyId }
    : { clientId: bodyId, clientSecret: bodySecret };
}

/** The bearer token of an `Authorization: Bearer …` header, if any. */
export function readBearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}
