import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTempDirs } from './temp-dir.js';

/** The repository root: every process runs the CLI from its source there. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
// An absolute URL, so that processes started in another working directory still find tsx.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Admin token the helpers configure unless a test unsets it (≥ 32 characters). */
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef0123456789';
/** Master secret the helpers configure unless a test unsets it (≥ 32 characters). */
export const SECRET = 'e2e-master-secret-0123456789abcdef0123456789';

/** Environment overrides: a string sets a variable, `undefined` removes it (and its default). */
export type EnvOverrides = Record<string, string | undefined>;

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned `baton` process with its output collected. */
export interface BatonProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Settles when the process has exited and its output is complete. */
  exited: Promise<Exit>;
}

const live = new Set<ChildProcess>();
const dirs = createTempDirs('baton-e2e-');
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if the test worker goes away without running the hooks.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * The environment of a child: this process's environment without any BATON_* variable, then the
 * overrides. Tests therefore never see the developer's own Baton configuration.
 */
export function childEnv(overrides: EnvOverrides): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('BATON_') && value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Spawns `node --import tsx src/cli/main.ts <args>` with exactly the given BATON_* variables. */
export function spawnBaton(
  args: string[],
  options: { env?: EnvOverrides; cwd?: string } = {},
): BatonProcess {
  installExitHook();
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: childEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn baton ${args.join(' ')}`);
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // 'close' (not 'exit') waits for stdout and stderr to be drained.
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, pid: child.pid, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The outcome of a finished CLI run. */
export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs a CLI command to completion (SIGKILL after `timeoutMs`). */
export async function runBaton(
  args: string[],
  options: { env?: EnvOverrides; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const proc = spawnBaton(args, options);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { ...exit, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** Kills every process the helpers started that is still running, and waits for them. */
export async function killAllChildren(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

/** Kills every child and removes the temporary directories the helpers made. */
export async function cleanupServers(): Promise<void> {
  await killAllChildren();
  dirs.cleanup();
}

/** A temporary directory removed by {@link cleanupServers}. */
export function makeTempDir(): string {
  return dirs.make();
}

/** A TCP port that was free a moment ago (found by listening on port 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running `baton serve` process. */
export interface ServerProcess {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  pid: number;
  /** The admin token configured for it (undefined when the test unset it). */
  adminToken: string | undefined;
  process: BatonProcess;
  /** Sends SIGTERM and waits for the process to exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<Exit>;
  /** Kills the process with SIGKILL (a crash) and waits for it to be gone. */
  kill9(): Promise<Exit>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilReady(url: string, proc: BatonProcess, timeoutMs: number): Promise<void> {
  let exited: Exit | undefined;
  void proc.exited.then((exit) => (exited = exit));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new Error(
        `baton serve exited (${exited.code ?? exited.signal}) before it was ready:\n${proc.stderr()}`,
      );
    }
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  proc.child.kill('SIGKILL');
  throw new Error(`baton serve was not ready after ${timeoutMs} ms:\n${proc.stderr()}`);
}

/**
 * Starts `baton serve` configured only through the environment and waits until GET /readyz
 * answers 200. Defaults: BATON_HOST=127.0.0.1, a free BATON_PORT, BATON_STORE on a new SQLite
 * file, BATON_LOG_LEVEL=warn, {@link ADMIN_TOKEN} and {@link SECRET}; `env` overrides them, and
 * `undefined` unsets one.
 */
export async function startServer(
  env: EnvOverrides = {},
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const portGiven = 'BATON_PORT' in env;
  for (let attempt = 1; ; attempt++) {
    const port = portGiven ? env.BATON_PORT : String(await freePort());
    const overrides: EnvOverrides = {
      BATON_HOST: '127.0.0.1',
      BATON_STORE: `sqlite:${join(dirs.make(), 'baton.db')}`,
      BATON_LOG_LEVEL: 'warn',
      BATON_ADMIN_TOKEN: ADMIN_TOKEN,
      BATON_SECRET: SECRET,
      ...env,
      BATON_PORT: port,
    };
    const proc = spawnBaton(['serve'], {
      env: overrides,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const url = `http://${overrides.BATON_HOST ?? '127.0.0.1'}:${port ?? '8080'}`;
    try {
      await waitUntilReady(url, proc, options.timeoutMs ?? 30_000);
    } catch (error) {
      // Another process may have taken the port between freePort() and listen(): try another.
      if (!portGiven && attempt < 3 && /EADDRINUSE/.test(proc.stderr())) continue;
      throw error;
    }
    const stop = async (timeoutMs = 15_000): Promise<Exit> => {
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
      proc.child.kill('SIGTERM');
      const exit = await proc.exited;
      clearTimeout(timer);
      return exit;
    };
    const kill9 = async (): Promise<Exit> => {
      proc.child.kill('SIGKILL');
      return proc.exited;
    };
    return {
      url,
      pid: proc.pid,
      adminToken: overrides.BATON_ADMIN_TOKEN,
      process: proc,
      stop,
      kill9,
    };
  }
}

/** A response read to the end. */
export interface HttpResult {
  status: number;
  headers: Headers;
  /** The body exactly as received. */
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

async function read(response: Response): Promise<HttpResult> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Calls the admin API with the bearer token (the helpers' {@link ADMIN_TOKEN} by default). */
export async function admin(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  token: string = ADMIN_TOKEN,
): Promise<HttpResult> {
  return read(
    await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}

/** What `POST /admin/sessions` returns. */
export interface MintedSession {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

/** Starts a session through `POST /admin/sessions`; fails unless the answer is 201. */
export async function mintSession(
  url: string,
  body: Record<string, unknown> = { subject: 'alice' },
  token: string = ADMIN_TOKEN,
): Promise<MintedSession> {
  const result = await admin(url, 'POST', '/admin/sessions', body, token);
  if (result.status !== 201) throw new Error(`mint failed: ${result.status} ${result.text}`);
  return result.json as MintedSession;
}

/** The OAuth token response of a successful refresh. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope?: string;
  refresh_token_expires_in: number;
  session_expires_at: number;
}

/** The OAuth error response. */
export interface OAuthErrorResponse {
  error: string;
  error_description: string;
  reason: string;
}

/**
 * `POST /oauth/token` with `grant_type=refresh_token`, form-encoded as RFC 6749 §6 shows it.
 * Rejects when the connection fails or `signal` aborts before the whole answer has arrived.
 */
export async function refreshAt(
  url: string,
  refreshToken: string,
  signal?: AbortSignal,
): Promise<HttpResult> {
  return read(
    await fetch(`${url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      ...(signal === undefined ? {} : { signal }),
    }),
  );
}

/** The admin view of a session (`GET /admin/sessions/:id`). */
export interface SessionView {
  id: string;
  subject: string;
  status: string;
  generation: number;
  revokedAt: number | null;
  revokeReason: string | null;
}

/** `GET /admin/sessions/:id`; fails unless the answer is 200. */
export async function getSession(url: string, id: string): Promise<SessionView> {
  const result = await admin(url, 'GET', `/admin/sessions/${encodeURIComponent(id)}`);
  if (result.status !== 200) throw new Error(`GET session failed: ${result.status} ${result.text}`);
  return result.json as SessionView;
}
