import type { FastifyInstance } from 'fastify';
import {
  BatonError,
  SECURITY_EVENT_TYPES,
  type ClientSettingsInput,
  type SecurityEventType,
  type TokenService,
} from '../../core/index.js';
import { clientView, object } from '../docs/admin-views.js';
import { renderAdminError } from '../errors.js';
import { createEventStream, type EventStream } from '../event-stream.js';
import { adminErrors, jsonContent } from '../openapi.js';
import { REFRESH_OUTCOMES, STATS_MINUTES, type RefreshStats } from '../refresh-stats.js';
import { createClientSchema } from './admin-schemas.js';

/** Event streams one instance serves at once; each polls the store every second. */
export const MAX_EVENT_STREAMS = 32;
/** Without `Last-Event-ID`, a stream starts with the matching events among this many newest. */
export const EVENT_STREAM_BACKLOG = 100;

/** Options of {@link adminLive}. */
export interface AdminLiveOptions {
  service: TokenService;
  stats: RefreshStats;
}

/** The OpenAPI operation of a route here: admin token, admin errors (401, 429, 503 always). */
const doc = (
  operationId: string,
  summary: string,
  description: string,
  success: Record<string, unknown>,
  errors: number[],
  extra: Record<string, unknown> = {},
) => ({
  tags: ['Admin'],
  operationId,
  summary,
  description,
  security: [{ adminBearer: [] }],
  ...extra,
  responses: { ...success, ...adminErrors([401, 429, 503, ...errors]) },
});

/** The settings `PATCH /admin/clients/:id` changes: those of a new client, each nullable. */
const SETTINGS = [
  'accessTtl',
  'refreshTtl',
  'idleTtl',
  'reuseGrace',
  'rotate',
  'audience',
  'dialects',
  'allowedOrigins',
] as const satisfies readonly (keyof ClientSettingsInput)[];

/** Request body of `PATCH /admin/clients/:id`: the settings of `POST /admin/clients`, nullable. */
export function updateClientSchema(): Record<string, unknown> {
  const properties = createClientSchema.properties as Record<string, Record<string, unknown>>;
  return {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: Object.fromEntries(
      SETTINGS.map((name) => {
        const { type, description, ...rules } = properties[name] as {
          type: string;
          description?: string;
        };
        return [
          name,
          {
            ...rules,
            type: [type, 'null'],
            description: `${description ?? name}; null returns it to the service default`,
          },
        ];
      }),
    ),
  };
}

const count = { type: 'integer', minimum: 0 };
const minuteSchema = object({
  at: { type: 'integer', description: 'first second of the minute, epoch seconds' },
  ...Object.fromEntries(REFRESH_OUTCOMES.map((outcome) => [outcome, count])),
  reuseDetections: count,
});

/** The digits of a `Last-Event-ID`, or none (empty, as the standard allows). */
const LAST_EVENT_ID = '^([0-9]{1,15})?$';

/** The id of the newest event (0 for none), by bisecting on `afterId`: the store has no max. */
async function newestEventId(service: TokenService): Promise<number> {
  const firstAfter = async (id: number) =>
    (await service.listEvents({ afterId: id, limit: 1 }))[0]?.id;
  // Invariant: an event has an id above `low`, none above `high`.
  let low = 0;
  if ((await firstAfter(low)) === undefined) return 0;
  let high = 1024;
  while ((await firstAfter(high)) !== undefined) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const found = await firstAfter(middle);
    if (found === undefined) high = middle;
    else low = Math.max(middle, found - 1);
  }
  return high;
}

/**
 * Live views for the console and for operators: the security event stream, the last hour of
 * refresh outcomes on this instance, and editing a client without changing its secret.
 * Registered inside the admin face, behind its admin token check.
 */
export async function adminLive(app: FastifyInstance, options: AdminLiveOptions): Promise<void> {
  const { service, stats } = options;
  const config = { face: 'admin', renderError: renderAdminError };
  const streams = new Set<EventStream>();

  // Open streams would hold `close()` until their readers leave: end them first.
  app.addHook('preClose', (done) => {
    for (const stream of streams) stream.stop();
    done();
  });

  app.get<{
    Querystring: { type?: SecurityEventType; subject?: string; clientId?: string };
    Headers: { 'last-event-id'?: string };
  }>(
    '/admin/events/stream',
    {
      config: {
        ...config,
        openapi: doc(
          'streamEvents',
          'Follow security events live (server-sent events)',
          `Each event is sent as \`id: <event id>\`, \`event: <type>\` and \`data: <the event as JSON>\`, as soon as the store has it (the stream reads it every second, so events of other instances appear too); a comment every 15 s keeps the connection open. With \`Last-Event-ID\` the stream resumes after that event; without it, it starts with the matching events among the ${EVENT_STREAM_BACKLOG} newest, then follows. One instance serves ${MAX_EVENT_STREAMS} streams at once.`,
          {
            200: {
              description: 'A `text/event-stream` that stays open',
              content: jsonContent(
                {
                  type: 'string',
                  description: 'server-sent events; the `data` of each is a security event',
                  examples: [
                    'id: 42\nevent: refresh_token.reused\ndata: {"id":42,"type":"refresh_token.reused","at":1800000000,"sessionId":"ses_…","subject":"alice","clientId":"default","ip":"203.0.113.7","detail":"generation 1 presented at generation 2"}\n\n',
                  ],
                },
                'text/event-stream',
              ),
            },
          },
          [400],
          {
            parameters: [
              { name: 'type', in: 'query', description: 'only events of this type' },
              { name: 'subject', in: 'query', description: 'only events of this subject' },
              { name: 'clientId', in: 'query', description: 'only events of this client' },
              {
                name: 'Last-Event-ID',
                in: 'header',
                required: false,
                description: 'resume after this event id (what EventSource sends on reconnect)',
                schema: { type: 'string', pattern: LAST_EVENT_ID },
              },
            ],
          },
        ),
      },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', enum: SECURITY_EVENT_TYPES },
            subject: { type: 'string', minLength: 1, maxLength: 255 },
            clientId: { type: 'string', minLength: 1, maxLength: 64 },
          },
        },
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', pattern: LAST_EVENT_ID } },
        },
      },
    },
    async (request, reply) => {
      if (streams.size >= MAX_EVENT_STREAMS) {
        throw new BatonError('ERR_RATE_LIMITED', 'too many event streams are open; retry later', {
          retryAfter: 15,
          detail: 'event_streams',
        });
      }
      const { type, subject, clientId } = request.query;
      // The response's `close`: the reader went away (perhaps while the start was being found),
      // or the stream ended.
      const state: { stream?: EventStream; gone: boolean } = { gone: false };
      reply.raw.once('close', () => {
        state.gone = true;
        state.stream?.stop();
        if (state.stream !== undefined) streams.delete(state.stream);
      });
      const resumeAfter = request.headers['last-event-id'];
      const afterId =
        resumeAfter !== undefined && resumeAfter !== ''
          ? Number(resumeAfter)
          : Math.max(0, (await newestEventId(service)) - EVENT_STREAM_BACKLOG);
      if (state.gone) return reply;
      const stream = createEventStream({
        afterId,
        list: (after, limit) =>
          service.listEvents({ afterId: after, limit, ...(type === undefined ? {} : { type }) }),
        keep: (event) =>
          (subject === undefined || event.subject === subject) &&
          (clientId === undefined || event.clientId === clientId),
      });
      state.stream = stream;
      streams.add(stream);
      return reply
        .type('text/event-stream; charset=utf-8')
        .header('x-accel-buffering', 'no')
        .send(stream.body);
    },
  );

  app.get(
    '/admin/stats',
    {
      config: {
        ...config,
        openapi: doc(
          'getStats',
          'Refreshes and reuse detections per minute, last hour, this instance',
          `Counted in memory by the instance that answers, since it started: behind a load balancer each instance counts its own share (sum them, or use \`/metrics\`). Outcomes: \`ok\` (rotated or, without rotation, refreshed), \`replayed\` (a retry inside the reuse grace), \`reused\`, \`expired\` (absolute or idle), \`invalid\` (every other refusal: unknown or revoked token, wrong client, bad request, rate limit), \`error\` (store unavailable, internal fault). \`reuseDetections\` counts sessions revoked for reuse; concurrent replays of one stolen token are several \`reused\` refreshes but one detection.`,
          {
            200: {
              description: `The last ${STATS_MINUTES} minutes, oldest first`,
              content: jsonContent(
                object({
                  now: { type: 'integer', description: 'epoch seconds' },
                  countingSince: {
                    type: 'integer',
                    description: 'when this instance started counting, epoch seconds',
                  },
                  minutes: {
                    type: 'array',
                    minItems: STATS_MINUTES,
                    maxItems: STATS_MINUTES,
                    items: minuteSchema,
                  },
                }),
              ),
            },
          },
          [],
        ),
      },
    },
    async () => stats.snapshot(),
  );

  app.patch<{ Params: { id: string }; Body: ClientSettingsInput }>(
    '/admin/clients/:id',
    {
      config: {
        ...config,
        openapi: doc(
          'updateClient',
          "Change a client's settings; its secret stays",
          'Only the settings named change; `null` returns one to the service default. Lifetimes and rotation apply to sessions started afterwards (a session keeps those it started with); the reuse grace, audience, dialects and allowed origins apply to the next refresh of every session of the client: at once on this instance, within 5 s on the others.',
          {
            200: {
              description: 'The client as stored now',
              content: jsonContent(object({ client: clientView })),
            },
          },
          [400, 404, 413, 415],
        ),
      },
      schema: {
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 255 } },
        },
        body: updateClientSchema(),
      },
    },
    async (request) => service.updateClient(request.params.id, request.body),
  );
}
