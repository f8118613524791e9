import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningAlg } from './config.js';
import { BatonError } from './errors.js';
import { randomId } from './random-id.js';
import { open, seal } from './sealed-box.js';
import type { SigningKeyRecord } from './records.js';

const SEALED_PREFIX = 'sealed:';

/** A signing key ready for use. */
export interface LoadedKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  /** Private (or, for HS256, secret) key. */
  readonly signingKey: KeyObject;
  /** Public (or, for HS256, secret) key. */
  readonly verifyKey: KeyObject;
  /** Public JWK for the JWKS; `null` for HS256. */
  readonly publicJwk: JWK | null;
  /** base64url of the JWS protected header `{alg, typ: "at+jwt", kid}`. */
  readonly encodedHeader: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

function keyPair(alg: SigningAlg): { privateKey: KeyObject; publicKey: KeyObject | null } {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'HS256':
      return { privateKey: createSecretKey(randomBytes(32)), publicKey: null };
  }
}

/**
 * Generates a signing key record for `alg`. The private JWK is sealed with `keyEncryptionKey`
 * when one is given. The `kid` is the RFC 7638 thumbprint of the public key (random for HS256).
 */
export async function generateSigningKey(
  alg: SigningAlg,
  createdAt: number,
  keyEncryptionKey: Buffer | null,
): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = keyPair(alg);
  const privateJwk = privateKey.export({ format: 'jwk' });
  const publicJwk = publicKey === null ? null : (publicKey.export({ format: 'jwk' }) as JWK);
  const kid = publicJwk === null ? randomId('hs_', 16) : await calculateJwkThumbprint(publicJwk);
  const json = JSON.stringify(privateJwk);
  return {
    kid,
    alg,
    publicJwk: publicJwk === null ? null : JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
    privateKey:
      keyEncryptionKey === null
        ? json
        : SEALED_PREFIX +
          seal(keyEncryptionKey, Buffer.from(json), `baton/signing-key/${kid}`).toString(
            'base64url',
          ),
    createdAt,
    retiredAt: null,
  };
}

function privateJwkOf(record: SigningKeyRecord, keyEncryptionKey: Buffer | null): JsonWebKey {
  if (!record.privateKey.startsWith(SEALED_PREFIX))
    return JSON.parse(record.privateKey) as JsonWebKey;
  const box = Buffer.from(record.privateKey.slice(SEALED_PREFIX.length), 'base64url');
  const json =
    keyEncryptionKey === null
      ? undefined
      : open(keyEncryptionKey, box, `baton/signing-key/${record.kid}`);
  if (json === undefined) {
    throw new BatonError(
      'ERR_INVALID_CONFIG',
      `signing key ${record.kid} cannot be decrypted with the configured secret`,
    );
  }
  return JSON.parse(json.toString('utf8')) as JsonWebKey;
}

/** Turns a stored key record into a {@link LoadedKey}. */
export function loadSigningKey(
  record: SigningKeyRecord,
  keyEncryptionKey: Buffer | null,
): LoadedKey {
  const alg = record.alg as SigningAlg;
  const jwk = privateJwkOf(record, keyEncryptionKey);
  let signingKey: KeyObject;
  let verifyKey: KeyObject;
  if (alg === 'HS256') {
    signingKey = createSecretKey(Buffer.from(jwk.k ?? '', 'base64url'));
    verifyKey = signingKey;
  } else {
    signingKey = createPrivateKey({ key: jwk, format: 'jwk' });
    verifyKey = createPublicKey(signingKey);
  }
  const header = JSON.stringify({ alg, typ: 'at+jwt', kid: record.kid });
  return Object.freeze({
    kid: record.kid,
    alg,
    signingKey,
    verifyKey,
    publicJwk: record.publicJwk === null ? null : (JSON.parse(record.publicJwk) as JWK),
    encodedHeader: Buffer.from(header).toString('base64url'),
    createdAt: record.createdAt,
    retiredAt: record.retiredAt,
  });
}
