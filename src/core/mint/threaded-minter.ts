import { Worker } from 'node:worker_threads';
import { BatonError } from '../errors.js';
import {
  assembleMinted,
  mintInput,
  mintNow,
  type MintJob,
  type MintKey,
  type Minted,
  type Minter,
} from './mint.js';
import type { MintBatch, MintReply, MintWireJob } from './mint-worker.js';

/** Jobs per message at most. */
const MAX_BATCH = 8;

interface Pending {
  job: MintJob;
  resolve: (minted: Minted) => void;
  reject: (error: unknown) => void;
}

/**
 * Starts the minting thread. Compiled, it is `mint-worker.js` beside this file; when Baton runs
 * from its TypeScript sources (tests, `tsx`), the thread first registers tsx to load them.
 */
function startWorker(pepper: Buffer): Worker {
  const workerData = { pepper: Uint8Array.from(pepper) };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./mint-worker.js', import.meta.url), { workerData });
  const entry = JSON.stringify(new URL('./mint-worker.ts', import.meta.url).href);
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); })`,
    {
      eval: true,
      workerData,
    },
  );
}

/**
 * A {@link Minter} on a worker thread: signing, hashing and sealing (about 70 µs of CPU per
 * refresh here) run beside the event loop instead of on it. Jobs of one event-loop turn travel
 * in batches of up to 8, so the thread mints one batch while the loop prepares the next. If the
 * thread dies, minting continues on the calling thread.
 */
export function createThreadedMinter(pepper: Buffer): Minter {
  let worker: Worker | undefined = startWorker(pepper);
  worker.unref();
  const sentKeys = new Set<string>();
  const inflight = new Map<number, Pending[]>();
  let queue: Pending[] = [];
  let nextBatch = 1;

  function mintInline({ job, resolve, reject }: Pending): void {
    try {
      resolve(mintNow(job, pepper));
    } catch (error) {
      reject(error);
    }
  }

  function fallBack(): void {
    worker = undefined;
    for (const pending of inflight.values()) pending.forEach(mintInline);
    inflight.clear();
  }

  worker.on('message', (reply: MintReply) => {
    const pending = inflight.get(reply.batch);
    inflight.delete(reply.batch);
    if (inflight.size === 0) worker?.unref();
    if (pending === undefined) return;
    if ('error' in reply) {
      const error = new BatonError('ERR_INTERNAL', 'minting failed', { detail: reply.error });
      for (const entry of pending) entry.reject(error);
      return;
    }
    pending.forEach(({ job, resolve, reject }, i) => {
      const parts = reply.parts[i];
      if (parts === undefined)
        reject(new BatonError('ERR_INTERNAL', 'minting failed', { detail: 'answer missing' }));
      else resolve(assembleMinted(job, parts));
    });
  });
  worker.on('error', fallBack);
  worker.on('exit', fallBack);

  function flush(): void {
    const pending = queue;
    queue = [];
    if (pending.length === 0) return;
    if (worker === undefined) {
      pending.forEach(mintInline);
      return;
    }
    const keys: MintKey[] = [];
    for (const { job } of pending) {
      if (!sentKeys.has(job.key.kid)) {
        sentKeys.add(job.key.kid);
        const { kid, alg, signingKey, encodedHeader } = job.key;
        keys.push({ kid, alg, signingKey, encodedHeader });
      }
    }
    const batch = nextBatch++;
    inflight.set(batch, pending);
    const jobs = pending.map(({ job }): MintWireJob => {
      const input = mintInput(job, pepper);
      return [
        job.key.kid,
        input.claimsJson,
        input.restJson,
        input.refreshToken,
        input.presentedToken,
        input.boxAad,
      ];
    });
    const message: MintBatch = { batch, keys, jobs };
    // Keep the process alive while answers are owed.
    worker.ref();
    worker.postMessage(message);
  }

  return {
    mint(job) {
      return new Promise<Minted>((resolve, reject) => {
        const queued = queue.push({ job, resolve, reject });
        if (queued === MAX_BATCH) flush();
        else if (queued === 1) setImmediate(flush);
      });
    },
    async close() {
      const current = worker;
      worker = undefined;
      if (current !== undefined) {
        current.removeAllListeners('exit');
        await current.terminate();
      }
      for (const pending of inflight.values()) pending.forEach(mintInline);
      inflight.clear();
    },
  };
}
