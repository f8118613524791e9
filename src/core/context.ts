import type { ClientCache } from './client-cache.js';
import type { Clock } from './clock.js';
import type { ResolvedServiceOptions } from './config.js';
import type { EventSink } from './events.js';
import type { InvalidationBus } from './invalidations.js';
import type { Keyring } from './keyring.js';
import type { RateLimiter } from './rate-limiter.js';
import type { ServiceSecrets } from './secrets.js';
import type { SessionShapes } from './session-shapes.js';
import type { Minter } from './mint/mint.js';
import type { Store } from './store.js';

/** What every core operation works with; built once by `createTokenService`. */
export interface ServiceContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly options: ResolvedServiceOptions;
  readonly secrets: ServiceSecrets;
  readonly keyring: Keyring;
  readonly limiter: RateLimiter;
  readonly events: EventSink;
  readonly clients: ClientCache;
  /** Tells other instances what they must drop from memory (client changes, key rotations). */
  readonly bus: InvalidationBus;
  readonly minter: Minter;
  /** Shapes of sessions recently refreshed here: their next refresh can take one write. */
  readonly shapes: SessionShapes;
}
