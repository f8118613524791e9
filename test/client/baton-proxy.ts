import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type ProxyAction =
  /** Forward it and return the answer (the default). */
  | 'pass'
  /** Forward it, let the server commit, then cut the connection: the answer is lost. */
  | 'drop'
  /** Answer this status without forwarding (the server sees nothing). */
  | { status: number; retryAfter?: string; body?: string };

/** One request that reached the proxy, with what came back from the server. */
export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** When the proxy received it (ms, real clock). */
  at: number;
  /** The server's status and body, when the request was forwarded. */
  status?: number;
  answer?: string;
}

/** A counting, fault-injecting HTTP proxy in front of a Baton server. */
export interface BatonProxy {
  url: string;
  requests: ProxiedRequest[];
  /** Requests whose path is `path`. */
  to(path: string): ProxiedRequest[];
  /** Actions for the next requests to `path` (replacing any left), used in order; later ones pass. */
  plan(path: string, ...actions: ProxyAction[]): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
]);

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a proxy on 127.0.0.1 that forwards to `target` (e.g. a `startServer` URL). */
export async function startBatonProxy(target: string): Promise<BatonProxy> {
  const requests: ProxiedRequest[] = [];
  const plans = new Map<string, ProxyAction[]>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const seen: ProxiedRequest = {
      method: request.method ?? 'GET',
      path,
      headers: request.headers,
      body,
      at: Date.now(),
    };
    requests.push(seen);
    const action = plans.get(path)?.shift() ?? 'pass';
    if (typeof action === 'object') {
      response.writeHead(action.status, {
        'content-type': 'application/json',
        ...(action.retryAfter === undefined ? {} : { 'retry-after': action.retryAfter }),
      });
      response.end(action.body ?? '{}');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers[name] = value;
    }
    const forwarded = await fetch(`${target}${request.url ?? '/'}`, {
      method: seen.method,
      headers,
      ...(seen.method === 'GET' || seen.method === 'HEAD' ? {} : { body }),
    });
    seen.status = forwarded.status;
    seen.answer = await forwarded.text();
    if (action === 'drop') {
      request.socket.destroy();
      return;
    }
    const out: Record<string, string> = {};
    forwarded.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') out[name] = value;
    });
    response.writeHead(forwarded.status, out);
    response.end(seen.answer);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => request.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    plan: (path, ...actions) => void plans.set(path, actions),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
