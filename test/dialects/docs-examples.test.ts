import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECT_NAMES, type DialectName } from '../../src/core/dialects.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { createTestService } from '../helpers/service.js';

// Every curl example of docs/dialects.md, run as written (with the documented base URL replaced
// by the test server's) against a real server: the docs show commands that work.

const run = promisify(execFile);
const DOC = readFileSync(new URL('../../docs/dialects.md', import.meta.url), 'utf8');
const DOC_BASE = 'http://127.0.0.1:8080';

/** The shell block with a curl command in each dialect's section. */
function curlExample(dialect: DialectName): string {
  const section = DOC.split(/^## /m).find((part) => part.startsWith(`${dialect}\n`));
  if (section === undefined) throw new Error(`docs/dialects.md has no section ${dialect}`);
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => match[1] as string)
    .find((text) => text.includes('curl '));
  if (block === undefined) throw new Error(`the ${dialect} section has no curl example`);
  return block;
}

/** What a successful answer of each dialect must carry. */
const SUCCESS: Record<DialectName, (body: Record<string, unknown>) => void> = {
  payabli: (body) => expect(body).toMatchObject({ isSuccess: true, responseText: 'Success' }),
  transak: (body) => expect(body).toEqual({ data: { accessToken: expect.any(String) } }),
  sevenG: (body) =>
    expect(body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String) }),
  aisquare: (body) =>
    expect(body).toEqual({ access: expect.any(String), refresh: expect.any(String) }),
  adid: (body) =>
    expect(body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: expect.any(Number),
    }),
};

let service: TokenService;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  ({ service } = await createTestService());
  app = await createApp({
    service,
    logger: false,
    dialects: DIALECT_NAMES.map((name) => ({ name, prefix: '' })),
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await service.close();
});

describe('docs/dialects.md', () => {
  it.each(DIALECT_NAMES)('the %s curl example refreshes a fresh session', async (dialect) => {
    const script = curlExample(dialect);
    expect(script).toContain(DOC_BASE);
    const session = await service.issueSession({ subject: `docs-${dialect}` });
    const { stdout } = await run('bash', ['-c', script.replaceAll(DOC_BASE, base)], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ACCESS_TOKEN: session.accessToken,
        REFRESH_TOKEN: session.refreshToken,
      },
    });
    SUCCESS[dialect](JSON.parse(stdout) as Record<string, unknown>);
    expect((await service.getSession(session.sessionId))?.generation).toBe(1);
  });
});
