import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { ErrorText, messageOf, PageTitle } from './bits.js';
import { exact } from './time.js';
import { OUTCOMES, type MinuteCounts, type Outcome, type Stats } from './types.js';

/** Props of {@link ActivityPage}. */
export interface ActivityPageProps {
  /** The newest event the stream brought: the charts read the stats again when it changes. */
  latestEventId: number | undefined;
}

/** Milliseconds between two reads of `GET /admin/stats`. */
const REFRESH_MS = 5000;

const OUTCOME_LABELS: Record<Outcome, string> = {
  ok: 'ok',
  replayed: 'replayed',
  reused: 'reused',
  expired: 'expired',
  invalid: 'invalid',
  error: 'error',
};

const total = (minute: MinuteCounts): number =>
  OUTCOMES.reduce((sum, outcome) => sum + minute[outcome], 0);

/** A round upper bound of the y axis: 1, 2, 5, 10, 20, 50, … */
function ceiling(value: number): number {
  let step = 1;
  for (;;) {
    for (const factor of [1, 2, 5]) if (value <= step * factor) return step * factor;
    step *= 10;
  }
}

const clock = (at: number): string =>
  new Date(at * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * A bar per minute, stacked by series, drawn in SVG; its numbers are text beside it (legend and
 * a table), so that the chart is never the only way to read them.
 */
function BarChart({
  minutes,
  series,
  label,
}: {
  minutes: MinuteCounts[];
  series: readonly (Outcome | 'reuseDetections')[];
  label: string;
}) {
  const max = ceiling(Math.max(1, ...minutes.map((m) => series.reduce((s, k) => s + m[k], 0))));
  const width = 600;
  const height = 160;
  const slot = width / Math.max(minutes.length, 1);
  return (
    <figure class="chart">
      <div class="chart-frame">
        <span class="axis-max" aria-hidden="true">
          {max}
        </span>
        <svg
          viewBox={`0 0 ${width} ${height}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={label}
        >
          <line class="grid" x1="0" y1="0.5" x2={width} y2="0.5" />
          <line class="grid" x1="0" y1={height / 2} x2={width} y2={height / 2} />
          <line class="axis" x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} />
          {minutes.map((minute, index) => {
            let base = height;
            return (
              <g key={minute.at}>
                {series.map((name) => {
                  const value = minute[name];
                  if (value === 0) return null;
                  const size = (value / max) * height;
                  base -= size;
                  return (
                    <rect
                      key={name}
                      class={`bar bar-${name}`}
                      x={index * slot + slot * 0.15}
                      y={base}
                      width={slot * 0.7}
                      height={size}
                    />
                  );
                })}
              </g>
            );
          })}
        </svg>
      </div>
      <div class="axis-x" aria-hidden="true">
        <span>60 min ago</span>
        <span>30 min ago</span>
        <span>now</span>
      </div>
    </figure>
  );
}

/** Refreshes per minute by outcome, and reuse detections, over the last hour of this instance. */
export function ActivityPage({ latestEventId }: ActivityPageProps) {
  const [stats, setStats] = useState<Stats | undefined>();
  const [error, setError] = useState<string | undefined>();

  async function load(): Promise<void> {
    try {
      setStats(await api<Stats>('GET', 'admin/stats'));
      setError(undefined);
    } catch (caught) {
      setError(messageOf(caught));
    }
  }

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  // An event just arrived (a reuse, say): the counts behind it are already in.
  useEffect(() => {
    if (latestEventId === undefined) return;
    const timer = setTimeout(() => void load(), 300);
    return () => clearTimeout(timer);
  }, [latestEventId]);

  const totals = Object.fromEntries(
    [...OUTCOMES, 'reuseDetections' as const].map((key) => [
      key,
      (stats?.minutes ?? []).reduce((sum, minute) => sum + minute[key], 0),
    ]),
  ) as Record<Outcome | 'reuseDetections', number>;
  const refreshes = (stats?.minutes ?? []).reduce((sum, minute) => sum + total(minute), 0);

  return (
    <section aria-labelledby="activity-title">
      <PageTitle id="activity-title">Activity</PageTitle>
      <ErrorText error={error} />
      {stats === undefined ? (
        error === undefined ? (
          <p role="status">Loading…</p>
        ) : null
      ) : (
        <>
          <p class="muted">
            The last hour on the instance that answered, counted since it started (
            {exact(stats.countingSince)}). Behind a load balancer each instance counts its own
            share.
          </p>
          <div class="card">
            <h2>Refreshes per minute</h2>
            <ul class="legend" aria-label="Refreshes in the last hour by outcome">
              {OUTCOMES.map((outcome) => (
                <li key={outcome} data-outcome={outcome}>
                  <span class={`swatch bar-${outcome}`} aria-hidden="true" />
                  {OUTCOME_LABELS[outcome]} <strong class="count">{totals[outcome]}</strong>
                </li>
              ))}
            </ul>
            <BarChart
              minutes={stats.minutes}
              series={OUTCOMES}
              label={`Refreshes per minute over the last hour: ${refreshes} in all, ${OUTCOMES.map((o) => `${totals[o]} ${o}`).join(', ')}`}
            />
          </div>
          <div class="card">
            <h2>Reuse detections per minute</h2>
            <p class="legend-line" data-outcome="reuseDetections">
              <span class="swatch bar-reuseDetections" aria-hidden="true" />
              Sessions revoked for reuse in the last hour:{' '}
              <strong class="count">{totals.reuseDetections}</strong>
            </p>
            <BarChart
              minutes={stats.minutes}
              series={['reuseDetections']}
              label={`Reuse detections per minute over the last hour: ${totals.reuseDetections} in all`}
            />
          </div>
          <details class="card">
            <summary>The numbers, minute by minute</summary>
            <div class="table-scroll">
              <table class="data numbers">
                <thead>
                  <tr>
                    <th scope="col">Minute</th>
                    {OUTCOMES.map((outcome) => (
                      <th scope="col" key={outcome}>
                        {OUTCOME_LABELS[outcome]}
                      </th>
                    ))}
                    <th scope="col">reuse detections</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.minutes
                    .filter((minute) => total(minute) + minute.reuseDetections > 0)
                    .reverse()
                    .map((minute) => (
                      <tr key={minute.at}>
                        <th scope="row">{clock(minute.at)}</th>
                        {OUTCOMES.map((outcome) => (
                          <td key={outcome}>{minute[outcome]}</td>
                        ))}
                        <td>{minute.reuseDetections}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}
