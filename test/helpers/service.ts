import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import { isBatonError, type ErrorCode } from '../../src/core/errors.js';
import type { Store } from '../../src/core/store.js';
import {
  createTokenService,
  type TokenService,
  type TokenServiceOptions,
} from '../../src/core/token-service.js';
import { createMemoryStore } from '../../src/stores/memory/memory-store.js';

/** Start of every test clock (epoch seconds). */
export const T0 = 1_800_000_000;
export const ISSUER = 'http://baton.test';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';

/** A token service on a manual clock, over the given store (memory by default). */
export async function createTestService(
  options: Partial<TokenServiceOptions> = {},
): Promise<{ service: TokenService; clock: ManualClock; store: Store }> {
  const clock = (options.clock as ManualClock | undefined) ?? createManualClock(T0);
  const store = options.store ?? createMemoryStore();
  const service = await createTokenService({
    issuer: ISSUER,
    adminToken: ADMIN_TOKEN,
    ...options,
    store,
    clock,
  });
  return { service, clock, store };
}

/** Verifies an access token with jose against the service's JWKS, as a resource server would. */
export async function verifyWithJose(
  service: TokenService,
  token: string,
  at: number,
): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(service.jwks()), {
    issuer: ISSUER,
    typ: 'at+jwt',
    currentDate: new Date(at * 1000),
  });
  return payload;
}

/** The code of the BatonError `promise` rejects with; anything else fails the test. */
export async function rejectionCode(promise: Promise<unknown>): Promise<ErrorCode> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBatonError(error)) throw new Error(`expected a BatonError, got ${String(error)}`);
  return error.code;
}
