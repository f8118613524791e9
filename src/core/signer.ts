import { createHmac, sign as signWithKey, type KeyObject } from 'node:crypto';
import type { SigningAlg } from './config.js';

/** What a signer needs of a key. */
export interface SignerKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  /** Private (or, for HS256, secret) key. */
  readonly signingKey: KeyObject;
}

/**
 * Produces JWS signatures. The default signs on the calling thread; a server can sign on a
 * worker thread instead (`createThreadedSigner`) to free the event loop.
 */
export interface Signer {
  /** The raw JWS signature of `input` (ASCII `header.payload`) under `key`. */
  sign(key: SignerKey, input: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

/** Signs `input` with `key` on this thread: the JWS signature bytes for the key's algorithm. */
export function signNow(key: SignerKey, input: Buffer): Buffer {
  switch (key.alg) {
    case 'EdDSA':
      return signWithKey(null, input, key.signingKey);
    case 'ES256':
      return signWithKey('sha256', input, { key: key.signingKey, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return signWithKey('sha256', input, key.signingKey);
    case 'HS256':
      return createHmac('sha256', key.signingKey).update(input).digest();
  }
}

/** A {@link Signer} that signs on the calling thread. */
export const inlineSigner: Signer = {
  sign: async (key, input) => signNow(key, input),
  close: async () => undefined,
};
