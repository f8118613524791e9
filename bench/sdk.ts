/**
 * The client-side figures of `npm run bench`: the client SDK's cost per `getAccessToken()` on a
 * valid token, its browser bundle size, and the verifier's throughput next to a bare
 * `jose.jwtVerify`. Each part also runs on its own (`node --import tsx bench/<part>.ts`).
 */
import { run as clientOverhead, type ClientOverheadResult } from './client-overhead.js';
import { run as clientSize, type ClientSizeResult } from './client-size.js';
import { run as verifier, type VerifierBenchResult } from './verifier.js';

/** The client-side scenarios, in the order they run. */
export const SDK_SCENARIOS = ['client-overhead', 'client-size', 'verifier'] as const;
/** One of {@link SDK_SCENARIOS}. */
export type SdkScenario = (typeof SDK_SCENARIOS)[number];

/** What the client-side scenarios measured, by scenario. */
export interface SdkResults {
  'client-overhead'?: ClientOverheadResult;
  'client-size'?: ClientSizeResult;
  verifier?: Omit<VerifierBenchResult, 'machine' | 'commit'>;
}

/** Runs the chosen client-side scenarios; `say` prints a line of each result. */
export async function runSdk(
  scenarios: readonly SdkScenario[],
  say: (line: string) => void,
): Promise<SdkResults> {
  const results: SdkResults = {};
  for (const scenario of scenarios) {
    if (scenario === 'client-overhead') {
      const result = await clientOverhead();
      results[scenario] = result;
      say(
        `[client-overhead] getAccessToken() on a valid token: ${result.microsPerCall.toFixed(2)} µs per call ` +
          `(${Math.round(result.opsPerSecond).toLocaleString('en-US')}/s; a bare await ${result.baselineMicrosPerCall.toFixed(2)} µs)`,
      );
    } else if (scenario === 'client-size') {
      const result = await clientSize();
      results[scenario] = result;
      say(
        `[client-size] browser bundle: ${result.minifiedBytes.toLocaleString('en-US')} bytes minified, ` +
          `${result.gzippedBytes.toLocaleString('en-US')} gzipped`,
      );
    } else {
      const { machine: _machine, commit: _commit, ...result } = await verifier();
      results[scenario] = result;
      say(
        `[verifier] ${Math.round(result.opsPerSec.verifier)}/s, with the revocation feed ${Math.round(result.opsPerSec.feed)}/s, ` +
          `bare jose.jwtVerify ${Math.round(result.opsPerSec.bare)}/s: ${Math.round(result.ratio.verifier * 100)} % and ` +
          `${Math.round(result.ratio.feed * 100)} % of it`,
      );
    }
  }
  return results;
}
