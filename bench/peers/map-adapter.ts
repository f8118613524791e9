/**
 * An in-memory adapter for node-oidc-provider (its documented adapter contract: `upsert`,
 * `find`, `findByUid`, `findByUserCode`, `consume`, `destroy`, `revokeByGrantId`), on one `Map`
 * shared by every model. The provider's own development adapter keeps at most 1,000 entries,
 * which a benchmark's chains outgrow in a second (each rotation keeps the consumed token for
 * reuse detection); this one keeps up to {@link MAX_ENTRIES}, dropping the least recently written
 * beyond that, and honours each entry's expiry on read. No durability: a restart loses all.
 */

/** Entries kept before the least recently written are dropped. */
export const MAX_ENTRIES = 2_000_000;

type Payload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
};

interface Entry {
  payload: Payload;
  /** Epoch milliseconds; `Infinity` without an expiry. */
  expiresAt: number;
}

const entries = new Map<string, Entry>();
/** Grant id → keys of the tokens issued under it, for `revokeByGrantId`. */
const grants = new Map<string, Set<string>>();
/** Secondary indexes: `uid:<uid>` and `userCode:<code>` → key. */
const indexes = new Map<string, string>();

function write(key: string, entry: Entry): void {
  entries.delete(key);
  entries.set(key, entry);
  if (entries.size > MAX_ENTRIES) {
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
}

function read(key: string): Payload | undefined {
  const entry = entries.get(key);
  if (entry === undefined) return undefined;
  if (entry.expiresAt <= Date.now()) {
    entries.delete(key);
    return undefined;
  }
  return entry.payload;
}

/** One model's view of the shared map (`new MapAdapter('RefreshToken')`). */
export class MapAdapter {
  readonly #model: string;

  constructor(model: string) {
    this.#model = model;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  /** Stores `payload` under `id` for `expiresIn` seconds (no expiry when absent). */
  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const key = this.#key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    write(key, { payload, expiresAt });
    if (typeof payload.grantId === 'string') {
      let members = grants.get(payload.grantId);
      if (members === undefined) grants.set(payload.grantId, (members = new Set()));
      members.add(key);
    }
    if (typeof payload.uid === 'string') indexes.set(`uid:${payload.uid}`, id);
    if (typeof payload.userCode === 'string') indexes.set(`userCode:${payload.userCode}`, id);
  }

  async find(id: string): Promise<Payload | undefined> {
    return read(this.#key(id));
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    const id = indexes.get(`uid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    const id = indexes.get(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  /** Marks the token used (epoch seconds), as the provider's reuse detection reads it. */
  async consume(id: string): Promise<void> {
    const payload = read(this.#key(id));
    if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    const key = this.#key(id);
    const payload = read(key);
    entries.delete(key);
    if (typeof payload?.grantId === 'string') grants.get(payload.grantId)?.delete(key);
  }

  /** Removes every token issued under the grant (reuse of a rotated refresh token). */
  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of grants.get(grantId) ?? []) entries.delete(key);
    grants.delete(grantId);
  }
}
