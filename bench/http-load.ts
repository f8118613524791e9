import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startCpuMeter } from './cpu-meter.js';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import type { ScenarioName } from './options.js';
import { countError, type ScenarioResult } from './scenario-result.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { startServerProcess, type ServerCommand } from './server-process.js';

/** Parameters of {@link runHttpLoad}. Durations in seconds. */
export interface HttpLoadOptions {
  scenario: ScenarioName;
  store: 'memory' | 'sqlite';
  connections: number;
  duration: number;
  warmup: number;
  port: number;
  command: ServerCommand;
  /** Where the server child writes its V8 CPU profile; no profile when absent. */
  cpuProfDir?: string | undefined;
  log: (line: string) => void;
}

/** Starts one session per connection through the admin API; returns their refresh tokens. */
async function mintSessions(url: string, adminToken: string, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const response = await fetch(`${url}/admin/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ subject: `bench-${i}` }),
      });
      const body = (await response.json()) as { refreshToken?: unknown };
      if (response.status !== 201 || typeof body.refreshToken !== 'string') {
        throw new Error(
          `POST /admin/sessions answered ${response.status}: ${JSON.stringify(body)}`,
        );
      }
      return body.refreshToken;
    }),
  );
}

/** `status 400 invalid_grant/reused` from an OAuth error body, as far as it can be read. */
function describeFailure(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; reason?: unknown };
    return `status ${status} ${String(parsed.error)}/${String(parsed.reason)}`;
  } catch {
    return `status ${status}`;
  }
}

interface CannonRun {
  refreshes: number;
  /** Latency of each connection's first response, connect included. */
  firstResponses: LatencySummary;
  errorKinds: Record<string, number>;
  result: autocannon.Result;
}

/**
 * One autocannon run, one connection per token. Each connection is a refresh chain: it presents
 * the refresh token its own previous response returned. (autocannon resets a request's `context`
 * every time it loops over the `requests` list, so the chain lives in a closure given to each
 * connection by `setupClient`.) The first response of each connection is left out of `recorder`:
 * its time includes the TCP connect.
 */
async function cannon(
  url: string,
  tokens: string[],
  seconds: number,
  recorder: LatencyRecorder | undefined,
): Promise<CannonRun> {
  const errorKinds: Record<string, number> = {};
  let refreshes = 0;
  let connected = 0;
  const instance = autocannon({
    url,
    connections: tokens.length,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    method: 'POST',
    path: '/oauth/token',
    setupClient(client) {
      const chain = { token: tokens[connected++ % tokens.length] as string };
      client.setRequests([
        {
          method: 'POST',
          path: '/oauth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          setupRequest: (request) => ({
            ...request,
            body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(chain.token)}`,
          }),
          onResponse(status, body) {
            if (status !== 200) {
              countError(errorKinds, describeFailure(status, body));
              return;
            }
            let next: unknown;
            try {
              next = (JSON.parse(body) as { refresh_token?: unknown }).refresh_token;
            } catch {
              next = undefined;
            }
            if (typeof next !== 'string') {
              countError(errorKinds, 'status 200 without a refresh_token');
              return;
            }
            chain.token = next;
            refreshes++;
          },
        },
      ]);
    },
  });
  const seen = new WeakSet<object>();
  const firstResponses = new LatencyRecorder();
  instance.on('response', (client, _status, _bytes, latencyMs) => {
    if (seen.has(client)) {
      recorder?.record(latencyMs);
    } else {
      seen.add(client);
      firstResponses.record(latencyMs);
    }
  });
  const result = await instance;
  if (result.timeouts > 0) errorKinds.timeout = result.timeouts;
  if (result.errors > result.timeouts)
    errorKinds['connection error'] = result.errors - result.timeouts;
  return { refreshes, errorKinds, result, firstResponses: firstResponses.summary() };
}

/**
 * Refresh throughput over HTTP: the real server (`baton serve`) in a child process on loopback,
 * autocannon driving POST /oauth/token with one refresh chain per connection, after a discarded
 * warm-up run on sessions of its own.
 */
export async function runHttpLoad(options: HttpLoadOptions): Promise<ScenarioResult> {
  const dir = makeTempDir('baton-bench-');
  const adminToken = randomBytes(32).toString('base64url');
  const server = await startServerProcess({
    command: options.command,
    port: options.port,
    store: options.store === 'memory' ? 'memory:' : `sqlite:${join(dir, 'bench.db')}`,
    adminToken,
    cpuProfDir: options.cpuProfDir,
  });
  options.log(`server pid ${server.pid} (${options.command.mode}) ready at ${server.url}`);
  try {
    let warmup: CannonRun | undefined;
    if (options.warmup > 0) {
      options.log(`warm-up ${options.warmup} s (discarded)`);
      const tokens = await mintSessions(server.url, adminToken, options.connections);
      warmup = await cannon(server.url, tokens, options.warmup, undefined);
      // autocannon ends a run by resetting its connections; a connect that meets one of them
      // before the server has closed its side waits for a SYN retry (1 s). Let them settle.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const tokens = await mintSessions(server.url, adminToken, options.connections);
    options.log(`measuring ${options.duration} s, ${options.connections} connections`);
    const recorder = new LatencyRecorder();
    const stopMeter = startCpuMeter(server.pid);
    const run = await cannon(server.url, tokens, options.duration, recorder);
    const cpu = stopMeter();
    const errors = Object.values(run.errorKinds).reduce((sum, n) => sum + n, 0);
    const { latency, requests } = run.result;
    return {
      scenario: options.scenario,
      kind: 'http',
      store: options.store,
      concurrency: options.connections,
      elapsed: run.result.duration,
      refreshes: run.refreshes,
      refreshesPerSecond: run.refreshes / run.result.duration,
      latency: recorder.summary(),
      errors,
      errorKinds: run.errorKinds,
      details: {
        server: { mode: options.command.mode, reason: options.command.reason },
        cpuCores: cpu,
        pipelining: 1,
        firstResponseMs: { p50: run.firstResponses.p50, max: run.firstResponses.max },
        warmup:
          warmup === undefined
            ? null
            : { refreshes: warmup.refreshes, errorKinds: warmup.errorKinds },
        // autocannon's own figures: latency of 2xx responses only, in whole milliseconds.
        autocannon: {
          non2xx: run.result.non2xx,
          errors: run.result.errors,
          timeouts: run.result.timeouts,
          statusCodeStats: run.result.statusCodeStats,
          requestsPerSecond: { mean: requests.mean, stddev: requests.stddev, min: requests.min },
          latencyMs: {
            p50: latency.p50,
            p90: latency.p90,
            p99: latency.p99,
            max: latency.max,
            mean: latency.mean,
          },
        },
        serverOutput: server.output().trim().split('\n').filter(Boolean).slice(-20),
      },
    };
  } finally {
    await server.stop();
    removeTempDir(dir);
  }
}
