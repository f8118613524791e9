/**
 * The yardstick of the PostgreSQL scenarios (`baseline-postgres`): the least a refresh-token
 * rotation over HTTP on PostgreSQL can cost on the machine at hand. Fastify and `pg` with the
 * same pool size and durability as Baton (synchronous commit), the same two statements per
 * refresh (a lookup by token hash, then one statement that compare-and-sets the generation and
 * inserts the next token), the same HMAC of the token; and nothing else: no access-token
 * signature, no retry box, no lifetimes, no rate limits, no logging.
 *
 * It speaks just enough of Baton's wire for the bench's HTTP driver: `POST /admin/sessions`
 * (JSON, 201 `{refreshToken}`), `POST /oauth/token` (form, 200 `{refresh_token}`), `/healthz`,
 * `/readyz`. It reads the settings the bench gives a Baton child (`BATON_HOST`, `BATON_PORT`,
 * `BATON_STORE=postgres://…?schema=&pool=`, `BATON_ADMIN_TOKEN`) and creates its two tables in
 * that schema, which the bench drops afterwards. Not a product: never run it outside the bench.
 */
import Fastify from 'fastify';
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import pg from 'pg';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`baseline server: ${name} is not set`);
  return value;
};

const store = new URL(env('BATON_STORE'));
const schema = store.searchParams.get('schema') ?? '';
if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('baseline server: bad ?schema=');
const poolSize = Number(store.searchParams.get('pool') ?? '10');
store.searchParams.delete('schema');
store.searchParams.delete('pool');
const adminToken = Buffer.from(`Bearer ${env('BATON_ADMIN_TOKEN')}`);
const hashKey = randomBytes(32);

const pool = new pg.Pool({
  connectionString: store.toString(),
  max: poolSize,
  application_name: 'baton-bench-baseline',
  options: `-c search_path=${schema}`,
});
pool.on('error', () => {});

await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
await pool.query(`
  CREATE TABLE IF NOT EXISTS baseline_sessions (
    id text PRIMARY KEY, subject text NOT NULL, generation integer NOT NULL,
    created_at bigint NOT NULL, last_active_at bigint NOT NULL
  ) WITH (fillfactor = 70);
  CREATE TABLE IF NOT EXISTS baseline_tokens (
    hash text PRIMARY KEY, session_id text NOT NULL, generation integer NOT NULL
  )`);

const hash = (token: string): string =>
  createHmac('sha256', hashKey).update(token).digest('base64url');
const now = (): number => Math.floor(Date.now() / 1000);
const newToken = (): string => `rt_${randomBytes(32).toString('base64url')}`;

const LOOKUP = {
  name: 'baseline_lookup',
  text: `SELECT s.id, s.generation, t.generation AS token_generation
         FROM baseline_tokens t JOIN baseline_sessions s ON s.id = t.session_id
         WHERE t.hash = $1`,
};
const ROTATE = {
  name: 'baseline_rotate',
  text: `WITH s AS (UPDATE baseline_sessions SET generation = generation + 1, last_active_at = $3
                    WHERE id = $1 AND generation = $2 RETURNING id, generation)
         INSERT INTO baseline_tokens (hash, session_id, generation)
         SELECT $4, id, generation FROM s RETURNING generation`,
};

const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
app.addContentTypeParser(
  'application/x-www-form-urlencoded',
  { parseAs: 'string' },
  (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  },
);

app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/readyz', async () => {
  await pool.query('SELECT 1');
  return { status: 'ok' };
});

app.post('/admin/sessions', async (request, reply) => {
  const presented = Buffer.from(request.headers.authorization ?? '');
  if (presented.length !== adminToken.length || !timingSafeEqual(presented, adminToken)) {
    return reply.code(401).send({ error: 'unauthorized' });
  }
  const subject = (request.body as { subject?: unknown } | undefined)?.subject;
  if (typeof subject !== 'string') return reply.code(400).send({ error: 'subject' });
  const id = randomUUID();
  const token = newToken();
  const at = now();
  await pool.query(
    `WITH s AS (INSERT INTO baseline_sessions VALUES ($1, $2, 0, $3, $3) RETURNING id)
     INSERT INTO baseline_tokens SELECT $4, id, 0 FROM s`,
    [id, subject, at, hash(token)],
  );
  return reply.code(201).send({ sessionId: id, refreshToken: token });
});

app.post('/oauth/token', async (request, reply) => {
  const body = request.body as Record<string, unknown> | undefined;
  const presented = body?.refresh_token;
  if (body?.grant_type !== 'refresh_token' || typeof presented !== 'string') {
    return reply.code(400).send({ error: 'invalid_request' });
  }
  const { rows } = await pool.query<{ id: string; generation: number; token_generation: number }>({
    ...LOOKUP,
    values: [hash(presented)],
  });
  const found = rows[0];
  if (found === undefined || found.token_generation !== found.generation) {
    return reply.code(400).send({ error: 'invalid_grant' });
  }
  const next = newToken();
  const rotated = await pool.query({
    ...ROTATE,
    values: [found.id, found.generation, now(), hash(next)],
  });
  if (rotated.rowCount !== 1) return reply.code(400).send({ error: 'invalid_grant' });
  return reply
    .header('cache-control', 'no-store')
    .send({ token_type: 'Bearer', expires_in: 900, refresh_token: next });
});

const close = (): void => {
  void app
    .close()
    .then(() => pool.end())
    .finally(() => process.exit(0));
};
process.once('SIGTERM', close);
process.once('SIGINT', close);

await app.listen({ host: env('BATON_HOST'), port: Number(env('BATON_PORT')) });
