/**
 * What the peer servers of the benchmark share: the settings the bench gives every server child
 * (`BATON_HOST`, `BATON_PORT`, `BATON_ADMIN_TOKEN`), the admin check of `POST /admin/sessions`
 * (how the bench mints each chain's first refresh token, as it does on Baton), and small
 * `node:http` helpers. Not a product: never run a peer outside the bench.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** The client every peer knows: public (RFC 6749 §2.1), naming itself with `client_id`. */
export const PEER_CLIENT_ID = 'bench';

/** Access-token lifetime of every peer, in seconds (Baton's default). */
export const ACCESS_TOKEN_TTL = 900;

/** The settings of a peer server child. */
export interface PeerSettings {
  host: string;
  port: number;
  adminToken: string;
}

/** Reads the settings from the environment the bench gives a server child. */
export function peerSettings(name: string): PeerSettings {
  const env = (variable: string): string => {
    const value = process.env[variable];
    if (value === undefined || value === '') throw new Error(`${name}: ${variable} is not set`);
    return value;
  };
  return {
    host: env('BATON_HOST'),
    port: Number(env('BATON_PORT')),
    adminToken: env('BATON_ADMIN_TOKEN'),
  };
}

/** Whether the request carries `Authorization: Bearer <admin token>`. */
export function isAdmin(request: IncomingMessage, adminToken: string): boolean {
  const expected = Buffer.from(`Bearer ${adminToken}`);
  const presented = Buffer.from(request.headers.authorization ?? '');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** The request body as text, refused (`undefined`) past `limit` bytes. */
export async function readBody(
  request: IncomingMessage,
  limit = 16 * 1024,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers `status` with `body` as JSON, uncached like a token response (RFC 6749 §5.1). */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

/** Answers 500 for a request whose handling threw, and says why on stderr. */
export function failed(response: ServerResponse, error: unknown): void {
  process.stderr.write(`peer server: ${error instanceof Error ? error.stack : String(error)}\n`);
  if (!response.headersSent) sendJson(response, 500, { error: 'server_error' });
  else response.destroy();
}

/** The subject of a `POST /admin/sessions` body (`{"subject": "…"}`), or `undefined`. */
export function subjectOf(body: string | undefined): string | undefined {
  try {
    const subject = (JSON.parse(body ?? '') as { subject?: unknown }).subject;
    return typeof subject === 'string' && subject !== '' ? subject : undefined;
  } catch {
    return undefined;
  }
}

/** Listens on the settings' address and closes on SIGTERM or SIGINT. */
export async function serve(server: Server, settings: PeerSettings): Promise<void> {
  const close = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
}
