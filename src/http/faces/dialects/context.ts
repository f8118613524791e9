import type { TokenService } from '../../../core/token-service.js';
import type { Metrics } from '../../metrics.js';

/** What every dialect plugin is registered with. */
export interface DialectOptions {
  service: TokenService;
  metrics: Metrics;
}
