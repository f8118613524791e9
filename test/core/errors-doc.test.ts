import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';

const markdown = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** The cells of one Markdown table row, trimmed and without code backticks. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim().replace(/^`(.*)`$/, '$1'));
}

/** The rows of the first table whose header is exactly `header`, as records by column name. */
function table(header: string[]): Record<string, string>[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex(
    (line) => line.trim().startsWith('|') && cells(line).join('|') === header.join('|'),
  );
  if (start === -1)
    throw new Error(`docs/errors.md has no table with columns ${header.join(', ')}`);
  const rows: Record<string, string>[] = [];
  // Skip the header and the |---| line; the table ends at the first line that is not a row.
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    const values = cells(line);
    expect(values, `row "${line.slice(0, 40)}…" has ${header.length} cells`).toHaveLength(
      header.length,
    );
    rows.push(Object.fromEntries(header.map((name, i) => [name, values[i] as string])));
  }
  return rows;
}

describe('docs/errors.md', () => {
  const documented = table(['code', 'status', 'error', 'reason', 'when']);

  it('lists every error code of ERROR_CODES exactly once, and no other', () => {
    const codes = documented.map((row) => row.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('gives each code the status, OAuth error and reason the code has', () => {
    const fromDocs = Object.fromEntries(
      documented.map((row) => [
        row.code,
        { status: Number(row.status), error: row.error, reason: row.reason },
      ]),
    );
    expect(fromDocs).toEqual(ERROR_CODES);
  });

  it('says when each code happens', () => {
    for (const row of documented) expect(row.when?.length, row.code).toBeGreaterThan(10);
  });

  it('names only real reasons in the table of what a client should do', () => {
    const reasons = new Set<string>(Object.values(ERROR_CODES).map((entry) => entry.reason));
    const advice = table(['reason', 'meaning', 'client action']);
    expect(advice.length).toBeGreaterThan(0);
    const named = advice.flatMap((row) => (row.reason ?? '').split(/`?,\s*`?/));
    for (const reason of named) expect(reasons, reason).toContain(reason);
  });
});
