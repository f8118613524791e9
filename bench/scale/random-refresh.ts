import autocannon from 'autocannon';
import { LatencyRecorder, type LatencySummary } from '../latency.js';
import { countError } from '../scenario-result.js';

/**
 * Where every synthetic session's chain stands: the refresh token to present next for the
 * sessions refreshed so far (the others present their first one), which are being refreshed
 * right now, and which left the run (an error or a lost answer: presenting their old token again
 * would be reuse).
 */
export interface Chains {
  count: number;
  first: (index: number) => string;
  current: Map<number, string>;
  busy: Set<number>;
}

/** Chains over `count` sessions, starting from the first tokens `first` gives. */
export function createChains(count: number, first: (index: number) => string): Chains {
  return { count, first, current: new Map(), busy: new Set() };
}

/** What one run measured. */
export interface RandomRefreshRun {
  refreshes: number;
  elapsed: number;
  refreshesPerSecond: number;
  /** Every response but each connection's first (which includes the TCP connect), in ms. */
  latency: LatencySummary;
  errors: number;
  errorKinds: Record<string, number>;
  /** Distinct sessions refreshed in the run and before. */
  sessionsTouched: number;
}

/** A session drawn uniformly from all of them, skipping the ones in flight or out of the run. */
function draw(chains: Chains): number {
  // With every session taken (a tiny store, or many errors), a taken one: that request fails
  // and counts as an error, where looking on would hang the load generator.
  if (chains.busy.size >= chains.count) return Math.floor(Math.random() * chains.count);
  for (;;) {
    const index = Math.floor(Math.random() * chains.count);
    if (!chains.busy.has(index)) return index;
  }
}

/**
 * Which session a request refreshes: one drawn uniformly at random from all of them, or always
 * the connection's own (connection `i` keeps session `i`, the way one client refreshes).
 */
export type ChainPick = 'random' | 'per-connection';

/**
 * Refreshes over the OAuth face (POST /oauth/token) for `seconds` on `connections` connections.
 * With `random`, each request refreshes a session drawn uniformly at random from all of them,
 * continuing that session's chain (its first token, or the one its last refresh returned): the
 * refreshes land all over the sessions table and its indexes, as a large population of clients
 * does. With `per-connection`, each connection chains the refreshes of its own session.
 */
export async function runRandomRefresh(
  url: string,
  chains: Chains,
  connections: number,
  seconds: number,
  pick: ChainPick = 'random',
): Promise<RandomRefreshRun> {
  if (pick === 'per-connection' && chains.count < connections)
    throw new Error(`${connections} connections need as many sessions, not ${chains.count}`);
  let connected = 0;
  const errorKinds: Record<string, number> = {};
  const latency = new LatencyRecorder();
  let refreshes = 0;
  const instance = autocannon({
    url,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    method: 'POST',
    path: '/oauth/token',
    setupClient(client) {
      const own = connected++;
      const chain = { index: own };
      client.setRequests([
        {
          method: 'POST',
          path: '/oauth/token',
          setupRequest(request) {
            if (pick === 'random') {
              chain.index = draw(chains);
              chains.busy.add(chain.index);
            }
            const token = chains.current.get(chain.index) ?? chains.first(chain.index);
            return {
              ...request,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`,
            };
          },
          onResponse(status, body) {
            let next: unknown;
            if (status === 200) {
              try {
                next = (JSON.parse(body) as Record<string, unknown>).refresh_token;
              } catch {
                next = undefined;
              }
            }
            if (typeof next !== 'string') {
              // A random pick's session stays busy: it leaves the run. A connection's own session
              // presents the same token again, and fails again, as one client would.
              countError(
                errorKinds,
                status === 200
                  ? 'status 200 without a refresh token'
                  : `status ${status} ${body.slice(0, 80)}`,
              );
              return;
            }
            chains.current.set(chain.index, next);
            chains.busy.delete(chain.index);
            refreshes++;
          },
        },
      ]);
    },
  });
  const seen = new WeakSet<object>();
  instance.on('response', (client, _status, _bytes, latencyMs) => {
    if (seen.has(client)) latency.record(latencyMs);
    else seen.add(client);
  });
  const result = await instance;
  if (result.timeouts > 0) errorKinds.timeout = result.timeouts;
  if (result.errors > result.timeouts)
    errorKinds['connection error'] = result.errors - result.timeouts;
  // Requests cut off when the run ended never answered: their sessions leave the run too.
  const errors = Object.values(errorKinds).reduce((sum, n) => sum + n, 0);
  return {
    refreshes,
    elapsed: result.duration,
    refreshesPerSecond: refreshes / result.duration,
    latency: latency.summary(),
    errors,
    errorKinds,
    sessionsTouched: chains.current.size,
  };
}
