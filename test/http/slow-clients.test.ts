import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { createTestService } from '../helpers/service.js';

// Slow and stalled clients are cut off: a socket held open by a client that trickles its
// headers or body, or stops after its headers, is answered 408 and closed; an idle keep-alive
// connection is closed too. The bounds come from the configured timeouts: Node checks them once
// a second, and a loaded machine may add a little more.

const TIMEOUTS = { headersTtl: 1, requestTtl: 2, keepAliveTtl: 1 };
const CHECK_INTERVAL_MS = 1000;
const SLACK_MS = 3000;

let server: RunningServer;
let port: number;

beforeAll(async () => {
  const { service } = await createTestService();
  server = await startServer({
    service,
    host: '127.0.0.1',
    port: 0,
    logger: false,
    timeouts: TIMEOUTS,
  });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server.close();
});

interface Outcome {
  /** Everything the server wrote. */
  response: string;
  /** Milliseconds from the first byte sent to the server closing the connection. */
  closedAfterMs: number;
}

/** Opens a connection, writes `chunks` at `everyMs` intervals, and waits for the server to end it. */
function talk(chunks: string[], everyMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let response = '';
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => (response += data));
    socket.on('error', () => undefined); // a reset after the answer is fine
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ response, closedAfterMs: performance.now() - started });
    });
    socket.on('connect', () => {
      started = performance.now();
      const queue = [...chunks];
      const next = (): void => {
        const chunk = queue.shift();
        if (chunk !== undefined && socket.writable) socket.write(chunk);
      };
      next();
      timer = setInterval(next, everyMs);
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server never closed the connection'));
    }, 20_000).unref();
  });
}

function expectCutOff(outcome: Outcome, afterSeconds: number): void {
  expect(outcome.response).toMatch(/^HTTP\/1\.1 408 /);
  expect(outcome.response).toMatch(/cache-control: no-store/i);
  // Which face the request was for is not known yet: the default (admin) format answers.
  expect(outcome.response).toContain('"code":"ERR_REQUEST_TIMEOUT"');
  expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(afterSeconds * 1000 - 100);
  expect(outcome.closedAfterMs).toBeLessThan(afterSeconds * 1000 + CHECK_INTERVAL_MS + SLACK_MS);
}

describe.concurrent('slow clients', () => {
  it('answers 408 and closes a connection whose headers trickle in', async () => {
    const header = 'POST /oauth/token HTTP/1.1\r\nHost: baton.test\r\nX-Slow: ';
    const outcome = await talk([header, ...'aaaaaaaaaaaaaaaaaaaa'.split('')], 400);
    expectCutOff(outcome, TIMEOUTS.headersTtl);
  });

  it('answers 408 and closes a connection that stalls after its headers', async () => {
    const request =
      'POST /oauth/token HTTP/1.1\r\nHost: baton.test\r\n' +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\n';
    const outcome = await talk([request], 60_000);
    expectCutOff(outcome, TIMEOUTS.requestTtl);
  });

  it('answers 408 and closes a connection whose body trickles in, a byte every 500 ms', async () => {
    const request =
      'POST /oauth/token HTTP/1.1\r\nHost: baton.test\r\n' +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\n';
    const outcome = await talk([request, ...'grant_type=refresh_token&refresh_tok'.split('')], 500);
    expectCutOff(outcome, TIMEOUTS.requestTtl);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const outcome = await talk(['GET /healthz HTTP/1.1\r\nHost: baton.test\r\n\r\n'], 60_000);
    expect(outcome.response).toMatch(/^HTTP\/1\.1 200 /);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(TIMEOUTS.keepAliveTtl * 1000 - 100);
    expect(outcome.closedAfterMs).toBeLessThan(
      TIMEOUTS.keepAliveTtl * 1000 + CHECK_INTERVAL_MS + SLACK_MS,
    );
  });

  it('answers a request without Host itself: 400 in the face format, no-store', async () => {
    const outcome = await talk(['POST /oauth/token HTTP/1.1\r\nContent-Length: 0\r\n\r\n'], 60_000);
    expect(outcome.response).toMatch(/^HTTP\/1\.1 400 /);
    expect(outcome.response).toMatch(/cache-control: no-store/i);
    expect(outcome.response).toContain('"error":"invalid_request"');
  });
});
