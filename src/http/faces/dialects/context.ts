import type { TokenService } from '../../../core/index.js';
import type { Metrics } from '../../metrics.js';

/** What every dialect plugin is registered with. */
export interface DialectOptions {
  service: TokenService;
  metrics: Metrics;
}
