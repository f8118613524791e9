import type { LatencySummary } from './latency.js';
import type { ScenarioName } from './options.js';

/** The store a scenario runs on. */
export type StoreKind = 'memory' | 'sqlite' | 'postgres';

/** What one measured run produced. */
export interface ScenarioResult {
  scenario: ScenarioName;
  /** `core`: `service.refresh` in process; `http`: POST /oauth/token to server children. */
  kind: 'core' | 'http';
  store: StoreKind;
  /** Refresh chains in flight at once. */
  concurrency: number;
  /** Measured length of the run in seconds. */
  elapsed: number;
  /** Successful refreshes. */
  refreshes: number;
  refreshesPerSecond: number;
  /** Latency of every completed refresh, in milliseconds. */
  latency: LatencySummary;
  /** Failed refreshes of every kind (non-2xx, core errors, transport errors, broken chains). */
  errors: number;
  /** `errors` by kind, e.g. `{ "status 400": 3, "timeout": 1 }`. */
  errorKinds: Record<string, number>;
  /** Scenario-specific details (server mode, autocannon's own figures, …). */
  details: Record<string, unknown>;
}

/** Adds one to `kinds[kind]`. */
export function countError(kinds: Record<string, number>, kind: string): void {
  kinds[kind] = (kinds[kind] ?? 0) + 1;
}
