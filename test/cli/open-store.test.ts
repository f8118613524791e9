import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/cli/config.js';
import { openStore, parseStoreLocation } from '../../src/cli/open-store.js';

describe('BATON_STORE', () => {
  it.each([
    ['memory:', { kind: 'memory' }],
    ['sqlite:./baton.db', { kind: 'sqlite', path: './baton.db', synchronous: 'normal' }],
    [
      'sqlite:/var/lib/baton.db?synchronous=full',
      { kind: 'sqlite', path: '/var/lib/baton.db', synchronous: 'full' },
    ],
  ])('parses %s', (value, expected) => {
    expect(parseStoreLocation(value)).toEqual(expected);
  });

  it.each([
    ['sqlite:', /needs a file path/],
    ['sqlite:./b.db?synchronous=off', /normal or full/],
    ['sqlite:./b.db?cache=shared', /unknown sqlite option/],
    ['postgres://localhost/test', /not available in this version/],
    ['ftp://x', /must be memory:/],
  ])('refuses %s with one clear line', (value, message) => {
    expect(() => parseStoreLocation(value)).toThrow(ConfigError);
    expect(() => parseStoreLocation(value)).toThrow(message);
  });

  it('names the file and the reason when a SQLite store cannot be opened', () => {
    expect(() => openStore(parseStoreLocation('sqlite:/nonexistent-dir/baton.db'), false)).toThrow(
      /cannot open the SQLite store \/nonexistent-dir\/baton\.db \(Cannot open database because the directory does not exist\)/,
    );
  });
});
