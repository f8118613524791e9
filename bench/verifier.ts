/**
 * The verifier benchmark: `createVerifier(...).verify` with a warm JWKS, with no revocation
 * check and with the revocation feed on, against a bare `jose.jwtVerify` with the same Ed25519
 * key and the same checks. Tokens are signed with a local key served by a local JWKS and
 * revocation-list endpoint (node:http), so only verification is measured.
 *
 *   node --import tsx bench/verifier.ts [--seconds 10] [--slice 50]
 *
 * The three take short turns side by side (see measure); the ratios are medians of per-turn
 * ratios, which a machine busy with other work disturbs far less than the absolute figures.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { createVerifier, type Verifier } from '../src/client/verifier/index.js';
import { commitInfo, machineInfo, type CommitInfo, type MachineInfo } from './report.js';
import { ROOT } from './server-process.js';

/** Settings of {@link run}. */
export interface VerifierBenchOptions {
  /** Seconds of verifying per contestant. Default 10. */
  seconds?: number;
  /** Verifications per contestant per turn. Default 50. */
  slice?: number;
  /** Distinct tokens verified in turn. Default 1000. */
  tokens?: number;
  /** Entries on the revocation list (sessions and jtis each). Default 1000. */
  revoked?: number;
}

/**
 * Verifications per second of each contestant: `bare` is `jose.jwtVerify` with the key object
 * in hand, `verifier` the verifier without a revocation check, `feed` with the revocation feed.
 */
export interface Rates {
  bare: number;
  verifier: number;
  feed: number;
}

/** What {@link run} measured. */
export interface VerifierBenchResult {
  machine: MachineInfo;
  commit: CommitInfo;
  settings: Required<VerifierBenchOptions>;
  /** Turns run (each contestant verified `slice` tokens per turn). */
  turns: number;
  /** Verifications per second of wall-clock time, over all turns. */
  opsPerSec: Rates;
  /** Verifications per second of this process's CPU time (all its threads), over all turns. */
  opsPerCpuSec: Rates;
  /**
   * Throughput relative to bare jose: the median over turns of (bare's time / the verifier's
   * time) in the same turn, by wall-clock and by CPU time. This is the figure to compare with
   * the 90 % target.
   */
  ratio: { verifier: number; feed: number; cpuVerifier: number; cpuFeed: number };
}

const ISSUER_PATH = '';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${ISSUER_PATH}`;
}

/** A contestant: a name and a verification of one token. */
interface Contestant {
  name: 'bare' | 'verifier' | 'feed';
  verify: (token: string) => Promise<unknown>;
}

/** One contestant's share of one turn: milliseconds of wall-clock and of CPU time. */
interface Slice {
  wallMs: number;
  cpuMs: number;
}

/**
 * Runs the contestants in turns of `slice` verifications each, rotating who goes first, for
 * `seconds` per contestant. Returns every turn's slices. Each turn lasts a few tens of
 * milliseconds, so a busy machine slows the three alike within a turn, and per-turn ratios
 * hold even while the absolute figures move.
 */
async function measure(
  contestants: Contestant[],
  tokens: string[],
  seconds: number,
  slice: number,
): Promise<Record<Contestant['name'], Slice>[]> {
  const turns: Record<Contestant['name'], Slice>[] = [];
  const deadline = performance.now() + seconds * 1000 * contestants.length;
  let next = 0;
  for (let turn = 0; performance.now() < deadline; turn++) {
    const slices: Partial<Record<Contestant['name'], Slice>> = {};
    for (let k = 0; k < contestants.length; k++) {
      const contestant = contestants[(turn + k) % contestants.length] as Contestant;
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      for (let i = 0; i < slice; i++)
        await contestant.verify(tokens[next++ % tokens.length] as string);
      const cpu = process.cpuUsage(cpuStart);
      slices[contestant.name] = {
        wallMs: performance.now() - start,
        cpuMs: (cpu.user + cpu.system) / 1000,
      };
    }
    turns.push(slices as Record<Contestant['name'], Slice>);
  }
  return turns;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Runs the benchmark and returns its figures (prints nothing). */
export async function run(options: VerifierBenchOptions = {}): Promise<VerifierBenchResult> {
  const settings = {
    seconds: options.seconds ?? 10,
    slice: options.slice ?? 50,
    tokens: options.tokens ?? 1000,
    revoked: options.revoked ?? 1000,
  };
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'EdDSA', use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  const revocations = JSON.stringify({
    cursor: 'c1',
    sessions: Array.from({ length: settings.revoked }, (_, i) => ({
      sid: `ses_revoked_${i}`,
      revokedAt: now,
    })),
    jtis: Array.from({ length: settings.revoked }, (_, i) => ({
      jti: `jti_revoked_${i}`,
      exp: now + 900,
    })),
  });
  const server = createServer((request, response) => {
    const body = request.url?.startsWith('/jwks.json')
      ? JSON.stringify({ keys: [jwk] })
      : request.url?.startsWith('/oauth/revocations')
        ? revocations
        : undefined;
    if (body === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  const issuer = await listen(server);
  const verifiers: Verifier[] = [];
  try {
    const tokens = await Promise.all(
      Array.from({ length: settings.tokens }, (_, i) =>
        new SignJWT({
          sid: `ses_${i}`,
          client_id: 'default',
          scope: 'read write',
          gen: 0,
        })
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'bench' })
          .setIssuer(issuer)
          .setSubject(`user-${i}`)
          .setAudience(issuer)
          .setIssuedAt(now)
          .setExpirationTime(now + 3600)
          .setJti(`jti_${i}`)
          .sign(privateKey as CryptoKey),
      ),
    );
    const joseOptions = {
      issuer,
      audience: issuer,
      typ: 'at+jwt',
      algorithms: ['EdDSA'],
      clockTolerance: 5,
    };
    // The same key as the verifier's: imported from the published JWK.
    const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }, 'EdDSA');
    const bare = (token: string) => jwtVerify(token, key, joseOptions);
    const plain = createVerifier({ issuer, jwksUri: `${issuer}/jwks.json` });
    const feed = createVerifier({
      issuer,
      jwksUri: `${issuer}/jwks.json`,
      checkRevocation: 'feed',
      revocationsUri: `${issuer}/oauth/revocations`,
      credentials: { adminToken: 'bench-admin-token' },
    });
    verifiers.push(plain, feed);
    // Warm: the JWKS fetched, the first poll done, the JIT settled on every path.
    for (const verify of [bare, plain.verify, feed.verify])
      for (let i = 0; i < 2000; i++) await verify(tokens[i % tokens.length] as string);
    if (feed.status().feed?.sessions !== settings.revoked)
      throw new Error('the revocation list was not loaded');

    const contestants: Contestant[] = [
      { name: 'bare', verify: bare },
      { name: 'verifier', verify: plain.verify },
      { name: 'feed', verify: feed.verify },
    ];
    const turns = await measure(contestants, tokens, settings.seconds, settings.slice);
    const total = (name: Contestant['name'], part: keyof Slice) =>
      (turns.length * settings.slice * 1000) / turns.reduce((sum, t) => sum + t[name][part], 0);
    const rates = (part: keyof Slice): Rates => ({
      bare: total('bare', part),
      verifier: total('verifier', part),
      feed: total('feed', part),
    });
    const paired = (name: Contestant['name'], part: keyof Slice) =>
      median(turns.map((t) => t.bare[part] / t[name][part]));
    return {
      machine: machineInfo(),
      commit: commitInfo(ROOT),
      settings,
      turns: turns.length,
      opsPerSec: rates('wallMs'),
      opsPerCpuSec: rates('cpuMs'),
      ratio: {
        verifier: paired('verifier', 'wallMs'),
        feed: paired('feed', 'wallMs'),
        cpuVerifier: paired('verifier', 'cpuMs'),
        cpuFeed: paired('feed', 'cpuMs'),
      },
    };
  } finally {
    for (const verifier of verifiers) verifier.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function numberFlag(args: string[], name: string): number | undefined {
  const index = args.indexOf(name);
  if (index === -1) return undefined;
  const value = Number(args[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const seconds = numberFlag(args, '--seconds');
  const slice = numberFlag(args, '--slice');
  const result = await run({
    ...(seconds === undefined ? {} : { seconds }),
    ...(slice === undefined ? {} : { slice }),
  });
  const rate = (value: number): string =>
    `${Math.round(value).toLocaleString('en-US')} ops/s`.padStart(14);
  const pct = (value: number): string => `${(value * 100).toFixed(1)} %`;
  const { machine, commit } = result;
  process.stdout.write(
    [
      `verifier benchmark: ${machine.cpus}× ${machine.cpuModel}, Node ${machine.node}, ` +
        `commit ${commit.commit ?? '?'}${commit.dirty === true ? ' (dirty)' : ''}`,
      `  ${result.settings.seconds} s each in ${result.turns} turns of ${result.settings.slice}, ` +
        `${result.settings.tokens} tokens, ${result.settings.revoked} + ${result.settings.revoked} revocation entries`,
      `                                  ${'wall clock'.padStart(14)}  ${'per CPU second'.padStart(14)}`,
      `  bare jose.jwtVerify              ${rate(result.opsPerSec.bare)}  ${rate(result.opsPerCpuSec.bare)}`,
      `  verifier (no revocation check)   ${rate(result.opsPerSec.verifier)}  ${rate(result.opsPerCpuSec.verifier)}` +
        `   ${pct(result.ratio.verifier)} / ${pct(result.ratio.cpuVerifier)} of bare`,
      `  verifier (checkRevocation feed)  ${rate(result.opsPerSec.feed)}  ${rate(result.opsPerCpuSec.feed)}` +
        `   ${pct(result.ratio.feed)} / ${pct(result.ratio.cpuFeed)} of bare`,
      '',
    ].join('\n'),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
