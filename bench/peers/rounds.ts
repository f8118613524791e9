/**
 * The peer comparison of `npm run bench -- --only peers`: Baton on SQLite (`http-sqlite`) and its
 * peers (`peer-oidc-provider`, `peer-floor`) measured in alternated rounds, each round's figures
 * read as Baton's ratio to each peer, and the median of those ratios over the rounds. Alternating
 * spreads the machine's drift (other work, thermal state) over every server alike.
 */
import type { CpuUse } from '../cpu-meter.js';
import { PEER_ROUND, type ScenarioName } from '../options.js';
import type { ScenarioResult } from '../scenario-result.js';
import { textTable } from '../report.js';
import { barChart } from '../svg.js';

/** The scenario whose figures are Baton's in the comparison. */
const BATON: ScenarioName = PEER_ROUND[0];

/** The order of round `round` (from 0): {@link PEER_ROUND} rotated left by `round`. */
export function roundOrder(round: number): ScenarioName[] {
  const shift = round % PEER_ROUND.length;
  return [...PEER_ROUND.slice(shift), ...PEER_ROUND.slice(0, shift)];
}

/** CPU time of the server child per successful refresh, in microseconds; `null` if unmeasured. */
export function serverCpuPerRefresh(result: ScenarioResult): number | null {
  const cpu = result.details.cpuCores as CpuUse | undefined;
  if (cpu === undefined || cpu.server === null || result.refreshesPerSecond === 0) return null;
  return (cpu.server / result.refreshesPerSecond) * 1e6;
}

/** Baton against one peer: each figure of Baton's divided by the peer's. */
export interface PeerRatio {
  peer: ScenarioName;
  /** Refreshes/s (above 1: Baton is faster). */
  throughput: number;
  /** p99 latency (below 1: Baton's is shorter). */
  p99: number;
  /** Server CPU per refresh (below 1: Baton spends less); `null` if unmeasured. */
  cpuPerRefresh: number | null;
}

/** Baton's ratio to each peer among `results` (one round, or a run that had them all). */
export function compareWithPeers(results: readonly ScenarioResult[]): PeerRatio[] {
  const baton = results.find((result) => result.scenario === BATON);
  if (baton === undefined) return [];
  const batonCpu = serverCpuPerRefresh(baton);
  return results
    .filter((result) => result.scenario !== BATON && result.scenario.startsWith('peer-'))
    .filter((peer) => peer.refreshesPerSecond > 0)
    .map((peer) => {
      const peerCpu = serverCpuPerRefresh(peer);
      return {
        peer: peer.scenario,
        throughput: baton.refreshesPerSecond / peer.refreshesPerSecond,
        p99: baton.latency.p99 / peer.latency.p99,
        cpuPerRefresh: batonCpu === null || peerCpu === null ? null : batonCpu / peerCpu,
      };
    });
}

/** One round: its order, its results in that order, and Baton's ratios. */
export interface PeerRound {
  /** From 1. */
  round: number;
  order: ScenarioName[];
  results: ScenarioResult[];
  ratios: PeerRatio[];
}

/** All rounds, with the medians over them. */
export interface PeerSummary {
  rounds: PeerRound[];
  /** The median of each ratio over the rounds, per peer. */
  medianRatios: PeerRatio[];
  /** The median refreshes/s of each scenario over the rounds. */
  medianRefreshesPerSecond: Partial<Record<ScenarioName, number>>;
}

/** The median of `values` (the mean of the middle two when even); `NaN` when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The rounds with their medians. */
export function summarisePeers(rounds: PeerRound[]): PeerSummary {
  const peers = PEER_ROUND.filter((name) => name !== BATON);
  const medianRatios = peers.flatMap((peer): PeerRatio[] => {
    const ratios = rounds.flatMap((round) => round.ratios.filter((ratio) => ratio.peer === peer));
    if (ratios.length === 0) return [];
    const cpu = ratios.map((ratio) => ratio.cpuPerRefresh);
    return [
      {
        peer,
        throughput: median(ratios.map((ratio) => ratio.throughput)),
        p99: median(ratios.map((ratio) => ratio.p99)),
        cpuPerRefresh: cpu.every((value) => value !== null) ? median(cpu) : null,
      },
    ];
  });
  const medianRefreshesPerSecond: Partial<Record<ScenarioName, number>> = {};
  for (const name of PEER_ROUND) {
    const values = rounds.flatMap((round) =>
      round.results.filter((r) => r.scenario === name).map((r) => r.refreshesPerSecond),
    );
    if (values.length > 0) medianRefreshesPerSecond[name] = median(values);
  }
  return { rounds, medianRatios, medianRefreshesPerSecond };
}

const ratio = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(2)}×`);

/** One line per peer: Baton's ratios to it. */
export function formatRatios(ratios: readonly PeerRatio[]): string[] {
  return ratios.map(
    (r) =>
      `${BATON} against ${r.peer}: ${ratio(r.throughput)} its refreshes/s, ${ratio(r.p99)} its p99, ` +
      `${ratio(r.cpuPerRefresh)} its server CPU per refresh`,
  );
}

/** The rounds as a table, each round's ratios, and the medians. */
export function formatPeerRounds(summary: PeerSummary): string {
  const header = ['round', 'scenario', 'refreshes/s', 'p99 ms', 'server µs/refresh', 'errors'];
  const rows = summary.rounds.flatMap((round) =>
    round.results.map((result) => {
      const cpu = serverCpuPerRefresh(result);
      return [
        String(round.round),
        result.scenario,
        Math.round(result.refreshesPerSecond).toLocaleString('en-US'),
        result.latency.p99.toFixed(2),
        cpu === null ? 'n/a' : Math.round(cpu).toLocaleString('en-US'),
        String(result.errors),
      ];
    }),
  );
  return [
    textTable(header, rows),
    '',
    ...summary.rounds.flatMap((round) =>
      formatRatios(round.ratios).map((text) => `round ${round.round}: ${text}`),
    ),
    ...formatRatios(summary.medianRatios).map(
      (text) => `median of ${summary.rounds.length} round(s): ${text}`,
    ),
  ].join('\n');
}

/** What each server of the comparison is, for the chart. */
const LABELS: Record<(typeof PEER_ROUND)[number], string> = {
  'http-sqlite': 'Baton (SQLite, OAuth face)',
  'peer-oidc-provider': 'node-oidc-provider (memory)',
  'peer-floor': 'floor: node:http + Map',
};

/** The comparison as an SVG bar chart: median refreshes/s per server, Baton's bar accented. */
export function peersChart(
  summary: PeerSummary,
  run: { concurrency: number; duration: number; commit: string | null },
): string {
  const bars = PEER_ROUND.flatMap((name) => {
    const value = summary.medianRefreshesPerSecond[name];
    if (value === undefined) return [];
    const against = summary.medianRatios.find((r) => r.peer === name);
    return [
      {
        label: LABELS[name],
        value,
        accent: name === BATON,
        ...(against === undefined ? {} : { note: `(Baton ${against.throughput.toFixed(2)}×)` }),
      },
    ];
  });
  return barChart({
    title: `Refresh with rotation over HTTP, ${run.concurrency} chains (median of ${summary.rounds.length} round${summary.rounds.length === 1 ? '' : 's'})`,
    unit:
      `refreshes/s, median per server; (Baton n×): median of Baton's per-round ratio to it; ` +
      `${run.duration} s per run${run.commit === null ? '' : `, commit ${run.commit}`}`,
    bars,
  });
}
