/**
 * The token client's own cost per `getAccessToken()` while the access token is valid: the call
 * every API request makes. No network is involved (the client's `fetch` refuses), so this is the
 * client and the `await` alone, next to a bare `await` of an async function as the yardstick.
 *
 * Run: `node --import tsx bench/client-overhead.ts [calls]`
 */
import { pathToFileURL } from 'node:url';
import { createTokenClient } from '../src/client/index.js';

/** What {@link run} measured; times per call in microseconds. */
export interface ClientOverheadResult {
  calls: number;
  opsPerSecond: number;
  microsPerCall: number;
  /** A bare `await` of an async function returning a string, for comparison. */
  baselineMicrosPerCall: number;
  node: string;
}

async function time(calls: number, call: () => Promise<string>): Promise<number> {
  for (let i = 0; i < Math.min(calls, 100_000); i++) await call(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await call();
  return Number(process.hrtime.bigint() - start) / 1000 / calls;
}

/** Measures `calls` sequential awaited `getAccessToken()` calls on a valid token. */
export async function run(options: { calls?: number } = {}): Promise<ClientOverheadResult> {
  const calls = options.calls ?? 2_000_000;
  const client = createTokenClient({
    baseUrl: 'http://127.0.0.1:9',
    clientId: 'bench',
    tokens: { accessToken: 'a.b.c', refreshToken: 'rt_bench', expiresIn: 3600 },
    fetch: () => Promise.reject(new Error('the benchmark makes no requests')),
  });
  const token = await client.getAccessToken();
  const bare = async (): Promise<string> => token;
  const baselineMicrosPerCall = await time(calls, bare);
  const microsPerCall = await time(calls, () => client.getAccessToken());
  client.close();
  return {
    calls,
    opsPerSecond: Math.round(1e6 / microsPerCall),
    microsPerCall,
    baselineMicrosPerCall,
    node: process.version,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv[2];
  const result = await run(arg === undefined ? {} : { calls: Number(arg) });
  console.log(
    `getAccessToken() on a valid token: ${result.opsPerSecond.toLocaleString('en')} ops/s, ` +
      `${result.microsPerCall.toFixed(3)} µs per call ` +
      `(bare await: ${result.baselineMicrosPerCall.toFixed(3)} µs; ${result.calls.toLocaleString('en')} calls, Node ${result.node})`,
  );
}
