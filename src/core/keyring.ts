import type { Clock } from './clock.js';
import { MAX_ACCESS_TTL, type SigningAlg } from './config.js';
import { BatonError } from './errors.js';
import { generateSigningKey, loadSigningKey, type LoadedKey } from './signing-keys.js';
import type { Store } from './store.js';
import type { JWK } from 'jose';

/** Seconds a retired key stays published and trusted: the longest access-token life plus slack. */
export const KEY_RETENTION_TTL = MAX_ACCESS_TTL + 300;

/** Seconds between reloads caused by unknown `kid`s; bounds the store reads junk tokens cause. */
export const RELOAD_THROTTLE_TTL = 5;

/** The signing keys in use: one active key and the retired ones still trusted. */
export interface Keyring {
  /** The key that signs new tokens. */
  active(): LoadedKey;
  /** A trusted key by `kid`, or `undefined` (unknown, or retired too long ago). */
  find(kid: string): LoadedKey | undefined;
  /**
   * Like {@link find}, but an unknown `kid` first reloads the keys from the store (at most once
   * per {@link RELOAD_THROTTLE_TTL}), so a key made by another instance is trusted at once.
   */
  resolve(kid: string): Promise<LoadedKey | undefined>;
  /** Every trusted key, newest first. */
  list(): readonly LoadedKey[];
  /** The JSON Web Key Set of the trusted asymmetric keys. */
  jwks(): { keys: JWK[] };
  /** Reloads keys from the store (picks up rotations made by other instances or the CLI). */
  reload(): Promise<void>;
  /** Retires the active key and makes a new one of `alg` active; returns the new key. */
  rotate(alg: SigningAlg): Promise<LoadedKey>;
}

/**
 * Loads the keyring from the store, generating the first key on first start (and a new key when
 * the configured algorithm differs from the active key's).
 */
export async function createKeyring(
  store: Store,
  clock: Clock,
  alg: SigningAlg,
  keyEncryptionKey: Buffer | null,
): Promise<{ keyring: Keyring; rotated: LoadedKey | undefined }> {
  let keys: LoadedKey[] = [];
  let byKid = new Map<string, LoadedKey>();
  let missReloadAt = Number.NEGATIVE_INFINITY;
  let reloading: Promise<void> | undefined;

  const trusted = (key: LoadedKey, now: number): boolean =>
    key.retiredAt === null || key.retiredAt + KEY_RETENTION_TTL > now;

  async function reload(): Promise<void> {
    const now = clock.now();
    const records = await store.listKeys();
    const loaded = records.map((record) => loadSigningKey(record, keyEncryptionKey));
    keys = loaded.filter((key) => trusted(key, now));
    byKid = new Map(keys.map((key) => [key.kid, key]));
  }

  function active(): LoadedKey {
    const key = keys.find((candidate) => candidate.retiredAt === null);
    if (key === undefined) throw new BatonError('ERR_INTERNAL', 'no active signing key');
    return key;
  }

  async function rotate(nextAlg: SigningAlg): Promise<LoadedKey> {
    const record = await generateSigningKey(nextAlg, clock.now(), keyEncryptionKey);
    await store.rotateKey(record);
    await reload();
    return active();
  }

  await reload();
  if (!keys.some((key) => key.retiredAt === null)) {
    // Several instances may start at once: only the first key is added.
    await store.addFirstKey(await generateSigningKey(alg, clock.now(), keyEncryptionKey));
    await reload();
  }
  const rotated = active().alg === alg ? undefined : await rotate(alg);

  const find = (kid: string): LoadedKey | undefined => {
    const key = byKid.get(kid);
    return key !== undefined && trusted(key, clock.now()) ? key : undefined;
  };

  const keyring: Keyring = {
    active,
    find,
    async resolve(kid) {
      const key = find(kid);
      if (key !== undefined) return key;
      // Concurrent misses share one reload; after it, misses wait out the throttle.
      if (reloading === undefined && clock.now() - missReloadAt >= RELOAD_THROTTLE_TTL) {
        missReloadAt = clock.now();
        reloading = reload().finally(() => {
          reloading = undefined;
        });
      }
      await reloading;
      return find(kid);
    },
    list: () => keys,
    jwks: () => ({
      keys: keys.flatMap((key) =>
        key.publicJwk !== null && trusted(key, clock.now()) ? [key.publicJwk] : [],
      ),
    }),
    reload,
    rotate,
  };
  return { keyring, rotated };
}
