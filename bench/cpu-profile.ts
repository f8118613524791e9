import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
}

/** Self time of one function or one group, in milliseconds and as a share of busy time. */
export interface SelfTime {
  name: string;
  ms: number;
  percent: number;
}

/** What a V8 `.cpuprofile` says about where the CPU went. */
export interface ProfileSummary {
  /** Milliseconds the profile covers, and those not spent idle. */
  totalMs: number;
  busyMs: number;
  functions: SelfTime[];
  /** Self time by origin: a package of node_modules, Baton's src/, Node internals, GC, … */
  groups: SelfTime[];
  /** Self time by part of a refresh's work (see {@link partOf}), all of them, largest first. */
  parts: SelfTime[];
}

/** The parts of a refresh's work that {@link partOf} sorts self time into. */
export const PARTS = [
  'HTTP: Fastify and node:http',
  'socket writes and reads',
  'store driver (better-sqlite3, pg)',
  'signature, HMAC, AES (crypto)',
  'JSON',
  'hand-off to the minting thread',
  'Baton code',
  'logging (pino)',
  'metrics (prom-client)',
  'other Node internals (events, timers, promises)',
  'garbage collection',
  'V8 and native, unattributed',
  'other',
] as const;

/** Where one function's self time belongs, from its name and its script's URL. */
export function partOf(functionName: string, url: string): (typeof PARTS)[number] {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (url === '') {
    if (
      /^(writev|writeBuffer|writeUtf8String|writeLatin1String|onStreamRead|shutdown)$/.test(
        functionName,
      )
    )
      return 'socket writes and reads';
    if (
      /^(sign|verify|digest|update|hmacDigest|createHmac|final|setAuthTag|oneShotDigest|randomFillSync|timingSafeEqual|HmacImpl|Hmac|Hash|Cipheriv|Decipheriv|getRandomValues|KeyObjectHandle)$/.test(
        functionName,
      )
    )
      return 'signature, HMAC, AES (crypto)';
    if (/^(parse|stringify)$/.test(functionName)) return 'JSON';
    if (/^(postMessage|receiveMessageOnPort|drainMessagePort)$/.test(functionName))
      return 'hand-off to the minting thread';
    if (/^(run|get|all|iterate|prepare|exec|transaction)$/.test(functionName))
      return 'store driver (better-sqlite3, pg)';
    return 'V8 and native, unattributed';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) {
    if (
      /^(fastify|@fastify\/.*|find-my-way|avvio|light-my-request|fast-json-stringify|secure-json-parse|fast-querystring|toad-cache|ajv|fast-uri|json-schema-ref-resolver|fast-deep-equal|process-warning|abstract-logging|rfdc)$/.test(
        pkg,
      )
    )
      return 'HTTP: Fastify and node:http';
    if (
      /^(better-sqlite3|pg|pg-protocol|pg-pool|pg-types|pgpass|postgres-.*|pg-connection-string|bindings)$/.test(
        pkg,
      )
    )
      return 'store driver (better-sqlite3, pg)';
    if (pkg === 'jose') return 'signature, HMAC, AES (crypto)';
    if (pkg === 'prom-client' || pkg === 'tdigest' || pkg === 'bintrees')
      return 'metrics (prom-client)';
    if (
      /^(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free)$/.test(
        pkg,
      )
    )
      return 'logging (pino)';
    return 'other';
  }
  if (url.startsWith('node:')) {
    if (/^node:(internal\/)?(crypto|webcrypto)/.test(url)) return 'signature, HMAC, AES (crypto)';
    if (/^node:(internal\/)?(worker|worker_threads|internal\/worker)/.test(url))
      return 'hand-off to the minting thread';
    if (
      /^node:(internal\/)?(net|stream|streams|internal\/stream_base_commons|internal\/streams)/.test(
        url,
      )
    )
      return 'socket writes and reads';
    if (/^node:(internal\/)?(_?http|http_|internal\/http)/.test(url))
      return 'HTTP: Fastify and node:http';
    return 'other Node internals (events, timers, promises)';
  }
  if (/\/(src|dist)\//.test(url)) return 'Baton code';
  return 'other';
}

function origin(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules !== null) return modules[1] ?? url;
  if (url.startsWith('node:')) return 'node internals';
  const source = /\/(src|dist)\/(\w+)\//.exec(url);
  if (source !== null) return `baton ${source[2] ?? ''}`;
  return url;
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|src|dist)\//, '$1/');
}

/** Sums the self time of each function and each origin in a `.cpuprofile`. */
export function summariseCpuProfile(path: string | readonly string[], top = 20): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  const byPart = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  // Several files (the threads of one process) add up: busy time is CPU time on any thread.
  for (const file of typeof path === 'string' ? [path] : path) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, i) => {
      const delta = profile.timeDeltas[i] ?? 0;
      const frame = nodes.get(id)?.callFrame;
      if (frame === undefined) return;
      totalUs += delta;
      if (frame.functionName === '(idle)') {
        idleUs += delta;
        return;
      }
      const name =
        frame.url === ''
          ? frame.functionName || '(anonymous)'
          : `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
      const group = origin(frame.url, frame.functionName);
      byGroup.set(group, (byGroup.get(group) ?? 0) + delta);
      const part = partOf(frame.functionName, frame.url);
      byPart.set(part, (byPart.get(part) ?? 0) + delta);
    });
  }
  const busyUs = totalUs - idleUs;
  const rank = (map: Map<string, number>, limit: number): SelfTime[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({
        name,
        ms: us / 1000,
        percent: busyUs === 0 ? 0 : (100 * us) / busyUs,
      }));
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    functions: rank(byFunction, top),
    groups: rank(byGroup, 12),
    parts: rank(byPart, PARTS.length),
  };
}

/**
 * The summary as printable lines. With `usPerRefresh` (the server's CPU time per refresh, from
 * the benchmark's CPU meter), each part is also shown as microseconds of one refresh.
 */
export function formatProfileSummary(summary: ProfileSummary, usPerRefresh?: number): string[] {
  const row = (entry: SelfTime): string =>
    `${entry.percent.toFixed(1).padStart(6)}%  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`;
  const partRow = (entry: SelfTime): string =>
    usPerRefresh === undefined
      ? row(entry)
      : `${row(entry)}  ≈ ${((entry.percent / 100) * usPerRefresh).toFixed(0)} µs per refresh`;
  return [
    `profile: ${(summary.totalMs / 1000).toFixed(1)} s, busy ${(summary.busyMs / 1000).toFixed(1)} s (shares below are of busy time)`,
    `self time by part of the work${usPerRefresh === undefined ? '' : ` (of ${usPerRefresh.toFixed(0)} µs of server CPU per refresh)`}:`,
    ...summary.parts.map(partRow),
    'self time by origin:',
    ...summary.groups.map(row),
    'top functions by self time:',
    ...summary.functions.map(row),
  ];
}

const CLI_USAGE =
  'usage: node --import tsx bench/cpu-profile.ts [--us-per-refresh <µs>] [--top <n>] <file.cpuprofile>…\n' +
  "       (the files of one process's threads add up: pass the main thread and the minting thread)\n";

// Prints one summary of the profiles given, e.g. those `npm run bench -- --cpu-prof` keeps.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files: string[] = [];
  let top = 20;
  let usPerRefresh: number | undefined;
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--top') top = Number(args[++i]);
    else if (arg === '--us-per-refresh') usPerRefresh = Number(args[++i]);
    else files.push(arg);
  }
  if (files.length === 0 || !(top > 0) || (usPerRefresh !== undefined && !(usPerRefresh > 0))) {
    process.stderr.write(CLI_USAGE);
    process.exitCode = 2;
  } else {
    const summary = summariseCpuProfile(files, top);
    process.stdout.write(`${formatProfileSummary(summary, usPerRefresh).join('\n')}\n`);
  }
}
