import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** `src/client/index.ts` bundled for browsers by esbuild, as an ES module. */
export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../../src/client/index.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  return result.outputFiles[0]?.text ?? '';
}

/** One request that went through the page server's `/baton` proxy. */
export interface BatonRequest {
  path: string;
  body: string;
  status: number;
  answer: string;
}

/** Serves the test page, the client bundle, a small API, and Baton under `/baton`. */
export interface PageServer {
  port: number;
  /** Sets the Baton server behind `/baton` and the admin token the API introspects with. */
  connect(batonUrl: string, adminToken: string): void;
  /** Requests forwarded to Baton, in order. */
  baton: BatonRequest[];
  /** Statuses the API answered. */
  api: number[];
  /**
   * The next request to Baton's `path` is forwarded, but its answer is never sent back: the
   * promise resolves with the answer the server committed.
   */
  holdNext(path: string): Promise<string>;
  close(): Promise<void>;
}

// The test page: buttons for people, functions on `window` for the test. It starts a client
// when told to, keeps calling the API when told to, and shows what happened.
const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Baton token client</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}pre{background:#f4f4f4;padding:1rem}</style>
</head>
<body>
<h1>Baton token client</h1>
<p id="state">not started</p>
<pre id="log"></pre>
<script type="module">
import { createTokenClient, localStorageAdapter } from '/client.js';
const state = { ended: [], tokens: 0, calls: [], errors: [] };
window.state = state;
const show = () => {
  document.getElementById('state').textContent = state.ended.length
    ? 'signed out (' + state.ended.join(', ') + ')'
    : 'signed in, ' + state.tokens + ' token updates, ' + state.calls.length + ' API calls';
  document.getElementById('log').textContent = JSON.stringify(
    { lastCalls: state.calls.slice(-10), errors: state.errors.slice(-5) }, null, 2);
};
window.boot = (options) => {
  window.clientId = options.clientId;
  window.baseUrl = options.baseUrl;
  window.client = createTokenClient({
    baseUrl: options.baseUrl,
    clientId: options.clientId,
    refreshSkew: options.refreshSkew,
    ...(options.reuseGrace === undefined ? {} : { reuseGrace: options.reuseGrace }),
    ...(options.tokens ? { tokens: options.tokens } : {}),
    storage: localStorageAdapter(),
    onTokens: () => { state.tokens++; show(); },
    onSessionEnd: (reason) => { state.ended.push(reason); show(); },
  });
  show();
};
window.call = async (path) => {
  try {
    const response = await window.client.fetch(path);
    state.calls.push(response.status);
    return response.status;
  } catch (error) {
    state.errors.push(error.code ?? String(error));
    return error.code ?? String(error);
  } finally { show(); }
};
window.keepCalling = async (path, ms, pauseMs) => {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    await window.call(path);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return state.calls;
};
window.token = () => window.client.getAccessToken().catch((error) => error.code);
window.stored = () => localStorage.getItem('baton:' + window.clientId + '@' + window.baseUrl);
</script>
</body>
</html>`;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the page server on a free port of 127.0.0.1 (pages open it as `http://localhost:PORT`,
 * a secure context). Behind `/baton` is the Baton server given to `connect`, reached like a
 * reverse proxy of the application's origin would (the page's `Origin` goes along); the API at
 * `/api/me` accepts a Bearer token while Baton's introspection says it is active, and
 * `/api/deny` refuses every token.
 */
export async function startPageServer(bundle: string): Promise<PageServer> {
  let batonUrl = '';
  let adminToken = '';
  const baton: BatonRequest[] = [];
  const api: number[] = [];
  const holds = new Map<string, (answer: string) => void>();

  const introspect = async (authorization: string | undefined): Promise<number> => {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
    const result = await fetch(`${batonUrl}/oauth/introspect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
      body: new URLSearchParams({ token }),
    });
    return ((await result.json()) as { active: boolean }).active ? 200 : 401;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = request.url ?? '/';
    if (url === '/' || url.startsWith('/?')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (url === '/client.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (url === '/api/me' || url === '/api/deny') {
      const status = url === '/api/deny' ? 401 : await introspect(request.headers.authorization);
      api.push(status);
      response.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
    } else if (url.startsWith('/baton/')) {
      const body = await readBody(request);
      const path = url.slice('/baton'.length);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
          headers[name] = value;
      }
      const method = request.method ?? 'GET';
      const forwarded = await fetch(`${batonUrl}${path}`, {
        method,
        headers,
        ...(method === 'GET' ? {} : { body }),
      });
      const answer = await forwarded.text();
      const bare = path.split('?')[0] ?? path;
      baton.push({ path: bare, body, status: forwarded.status, answer });
      const hold = holds.get(bare);
      if (hold !== undefined) {
        holds.delete(bare);
        hold(answer);
        return;
      }
      const out: Record<string, string> = {};
      forwarded.headers.forEach((value, name) => {
        if (!['content-length', 'transfer-encoding', 'connection'].includes(name))
          out[name] = value;
      });
      response.writeHead(forwarded.status, out).end(answer);
    } else {
      response.writeHead(404).end();
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => request.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    baton,
    api,
    connect: (url, token) => {
      batonUrl = url;
      adminToken = token;
    },
    holdNext: (path) => new Promise((resolve) => holds.set(path, resolve)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
