/**
 * Small SVG charts for the benchmark's reports: a horizontal bar chart and a line chart, as
 * self-contained SVG text (no dependency, no script, no external font), readable on GitHub.
 */

/** A series of a {@link lineChart}: points in x order. */
export interface Series {
  name: string;
  points: readonly { x: number; y: number }[];
}

/** A bar of a {@link barChart}. */
export interface Bar {
  label: string;
  value: number;
  /** Text after the value (a ratio, a latency). */
  note?: string;
  /** Drawn in the accent colour (Baton's own bars). */
  accent?: boolean;
}

const PALETTE = ['#1f5fa8', '#d0582a', '#2e8b57', '#8a4fbf', '#b8860b', '#555555'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Thousands separated by commas; one decimal under 10. */
export function formatNumber(value: number): string {
  if (Math.abs(value) < 10 && !Number.isInteger(value)) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

/** 1, 2, 5 × 10ⁿ steps: about `count` round ticks from 0 to at least `max`. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step * 0.999; tick += step) ticks.push(tick);
  return ticks;
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" ${FONT} font-size="16" font-weight="600" fill="#1a1a1a">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Horizontal bars, one per row, with the value (and note) written after each bar. */
export function barChart(options: { title: string; unit: string; bars: readonly Bar[] }): string {
  const { title, unit, bars } = options;
  const width = 760;
  const labelWidth = 250;
  const row = 30;
  const top = 48;
  const plotWidth = width - labelWidth - 190;
  const height = top + bars.length * row + 34;
  const max = Math.max(...bars.map((bar) => bar.value), 0);
  const ticks = niceTicks(max, 4);
  const scaleMax = ticks.at(-1) ?? 1;
  const x = (value: number) => labelWidth + (value / scaleMax) * plotWidth;
  const body: string[] = [];
  for (const tick of ticks) {
    body.push(
      `<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${top + bars.length * row}" stroke="#e3e3e3"/>`,
      `<text x="${x(tick)}" y="${top + bars.length * row + 16}" ${FONT} font-size="11" fill="#666" text-anchor="middle">${formatNumber(tick)}</text>`,
    );
  }
  bars.forEach((bar, index) => {
    const y = top + index * row;
    const fill = bar.accent === true ? PALETTE[0] : '#9aa5b1';
    const end = x(Math.max(bar.value, 0));
    body.push(
      `<text x="${labelWidth - 10}" y="${y + 17}" ${FONT} font-size="13" fill="#1a1a1a" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${Math.max(end - labelWidth, 1)}" height="${row - 10}" fill="${fill}" rx="2"/>`,
      `<text x="${end + 8}" y="${y + 17}" ${FONT} font-size="12" fill="#1a1a1a">${escapeXml(
        `${formatNumber(bar.value)}${bar.note === undefined ? '' : `  ${bar.note}`}`,
      )}</text>`,
    );
  });
  body.push(
    `<text x="${labelWidth + plotWidth / 2}" y="${height - 4}" ${FONT} font-size="11" fill="#666" text-anchor="middle">${escapeXml(unit)}</text>`,
  );
  return frame(width, height, title, body);
}

/**
 * Lines with a point marker per value; x on a log scale when `logX` (session counts from 10 k to
 * 10 M), y from 0.
 */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logX?: boolean;
  formatX?: (x: number) => string;
}): string {
  const { title, xLabel, yLabel, series, logX = false } = options;
  const formatX = options.formatX ?? formatNumber;
  const width = 760;
  const height = 360;
  const left = 80;
  const right = 170;
  const top = 48;
  const bottom = 56;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const yTicks = niceTicks(Math.max(...ys, 0), 5);
  const yMax = yTicks.at(-1) ?? 1;
  const fx = (value: number) => (logX ? Math.log10(Math.max(value, 1e-9)) : value);
  const xMin = fx(xs[0] ?? 0);
  const xMax = fx(xs.at(-1) ?? 1);
  const xSpan = xMax - xMin || 1;
  const px = (value: number) => left + ((fx(value) - xMin) / xSpan) * plotWidth;
  const py = (value: number) => top + plotHeight - (value / yMax) * plotHeight;
  const body: string[] = [];
  for (const tick of yTicks) {
    body.push(
      `<line x1="${left}" y1="${py(tick)}" x2="${left + plotWidth}" y2="${py(tick)}" stroke="#e3e3e3"/>`,
      `<text x="${left - 8}" y="${py(tick) + 4}" ${FONT} font-size="11" fill="#666" text-anchor="end">${formatNumber(tick)}</text>`,
    );
  }
  // Every distinct x is labelled on a log axis (a few sizes); a long linear series (samples over
  // time) gets round ticks instead, so the labels do not run into each other.
  const xTicks =
    !logX && xs.length > 8 ? niceTicks(xs.at(-1) ?? 1, 6).filter((t) => t >= (xs[0] ?? 0)) : xs;
  for (const tick of xTicks) {
    body.push(
      `<line x1="${px(tick)}" y1="${top + plotHeight}" x2="${px(tick)}" y2="${top + plotHeight + 5}" stroke="#999"/>`,
      `<text x="${px(tick)}" y="${top + plotHeight + 18}" ${FONT} font-size="11" fill="#666" text-anchor="middle">${escapeXml(formatX(tick))}</text>`,
    );
  }
  body.push(
    `<line x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}" stroke="#999"/>`,
    `<text x="${left + plotWidth / 2}" y="${height - 12}" ${FONT} font-size="12" fill="#444" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="18" y="${top + plotHeight / 2}" ${FONT} font-size="12" fill="#444" text-anchor="middle" transform="rotate(-90 18 ${top + plotHeight / 2})">${escapeXml(yLabel)}</text>`,
  );
  series.forEach((s, index) => {
    const colour = PALETTE[index % PALETTE.length] as string;
    const points = s.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`);
    body.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      ...s.points.map(
        (p) =>
          `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${colour}"><title>${escapeXml(
            `${s.name}: ${formatNumber(p.y)} at ${formatX(p.x)}`,
          )}</title></circle>`,
      ),
      `<rect x="${left + plotWidth + 16}" y="${top + index * 20}" width="12" height="12" fill="${colour}"/>`,
      `<text x="${left + plotWidth + 34}" y="${top + index * 20 + 11}" ${FONT} font-size="12" fill="#1a1a1a">${escapeXml(s.name)}</text>`,
    );
  });
  return frame(width, height, title, body);
}
