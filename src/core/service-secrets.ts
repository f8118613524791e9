import { BatonError } from './errors.js';
import { deriveSecrets, generateSecret, safeEqual, type ServiceSecrets } from './secrets.js';
import type { Store } from './store.js';

/**
 * The service keys: from the configured master secret, or from a secret generated into the store
 * on first start. A store remembers which secret it was initialised with (by fingerprint) and
 * refuses another, because every stored hash and sealed key depends on it.
 */
export async function loadServiceSecrets(
  store: Store,
  configured: string | undefined,
): Promise<ServiceSecrets> {
  const secret = configured ?? (await store.initMeta('generated_secret', generateSecret()));
  const secrets = deriveSecrets(secret, configured !== undefined);
  const fingerprint = await store.initMeta('secret_fingerprint', secrets.fingerprint);
  if (!safeEqual(fingerprint, secrets.fingerprint)) {
    throw new BatonError(
      'ERR_INVALID_CONFIG',
      configured === undefined
        ? 'BATON_SECRET is not set, but this store was initialised with one; set it to the original value'
        : 'BATON_SECRET does not match the secret this store was initialised with',
    );
  }
  return secrets;
}
