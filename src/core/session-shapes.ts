import type { SessionRecord } from './records.js';

/**
 * The parts of a session fixed when it starts: who it is for, its client, scope, claims and
 * lifetimes. Only the generation, the last activity, the access-token hash and the revocation
 * ever change, and those stay in the store.
 */
export type SessionShape = Pick<
  SessionRecord,
  | 'id'
  | 'subject'
  | 'clientId'
  | 'scope'
  | 'claims'
  | 'createdAt'
  | 'expiresAt'
  | 'idleTtl'
  | 'accessTtl'
  | 'rotate'
>;

/** Sessions whose shape an instance keeps at most; about 0.5 KB each with modest claims. */
export const SESSION_SHAPES_MAX = 50_000;

/**
 * The shapes of sessions this instance recently refreshed or started, most recent last: a
 * refresh of one of them can mint before it reads the store and settle in one compare-and-set
 * write (see `refresh`). Nothing here can go stale: a shape never changes, and whatever does
 * change is checked by the write itself.
 */
export interface SessionShapes {
  get(id: string): SessionShape | undefined;
  remember(session: SessionShape): void;
  forget(id: string): void;
  readonly size: number;
}

/** The shape of a session record, copied (the record's mutable parts left behind). */
export function shapeOf(session: SessionShape): SessionShape {
  return {
    id: session.id,
    subject: session.subject,
    clientId: session.clientId,
    scope: session.scope,
    claims: session.claims,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    idleTtl: session.idleTtl,
    accessTtl: session.accessTtl,
    rotate: session.rotate,
  };
}

/** A least-recently-used table of session shapes, at most `max` of them. */
export function createSessionShapes(max = SESSION_SHAPES_MAX): SessionShapes {
  const shapes = new Map<string, SessionShape>();
  return {
    get(id) {
      const shape = shapes.get(id);
      if (shape !== undefined) {
        // Most recently used last: a Map iterates in insertion order.
        shapes.delete(id);
        shapes.set(id, shape);
      }
      return shape;
    },
    remember(session) {
      shapes.delete(session.id);
      shapes.set(session.id, shapeOf(session));
      if (shapes.size > max) {
        const oldest = shapes.keys().next();
        if (oldest.done !== true) shapes.delete(oldest.value);
      }
    },
    forget(id) {
      shapes.delete(id);
    },
    get size() {
      return shapes.size;
    },
  };
}
