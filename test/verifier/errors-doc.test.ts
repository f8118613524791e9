import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERIFIER_ERROR_CODES } from '../../src/client/verifier/index.js';

/** docs/verifier.md lists every verifier error code with its status and RFC 6750 error. */

const doc = readFileSync(new URL('../../docs/verifier.md', import.meta.url), 'utf8');

function documentedCodes(): Map<string, { status: number; error: string | null }> {
  const section = doc.split('\n## Errors\n')[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, { status: number; error: string | null }>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const code = /^`([a-z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (code === undefined) continue;
    const error = /^`([a-z_]+)`$/.exec(cells[3] ?? '')?.[1] ?? null;
    rows.set(code, { status: Number(cells[2]), error });
  }
  return rows;
}

describe('docs/verifier.md', () => {
  it('documents every error code with its status and error, and no other', () => {
    const expected = new Map(
      Object.entries(VERIFIER_ERROR_CODES).map(([code, { status, error }]) => [
        code,
        { status, error },
      ]),
    );
    expect(documentedCodes()).toEqual(expected);
  });
});
