import { Worker } from 'node:worker_threads';
import { BatonError } from './errors.js';
import { signNow, type Signer, type SignerKey } from './signer.js';

// Evaluated from source so that it runs unchanged from src/ (tests) and dist/. Its switch mirrors
// signNow in signer.ts; test/core/threaded-signer.test.ts verifies both for every algorithm.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { sign, createHmac } = require('node:crypto');
const keys = new Map();
function signOne(key, input) {
  switch (key.alg) {
    case 'EdDSA': return sign(null, input, key.signingKey);
    case 'ES256': return sign('sha256', input, { key: key.signingKey, dsaEncoding: 'ieee-p1363' });
    case 'RS256': return sign('sha256', input, key.signingKey);
    case 'HS256': return createHmac('sha256', key.signingKey).update(input).digest();
    default: throw new Error('unsupported algorithm ' + key.alg);
  }
}
parentPort.on('message', ({ batch, keys: added, jobs }) => {
  for (const key of added) keys.set(key.kid, key);
  try {
    const signatures = jobs.map((job) => {
      const key = keys.get(job.kid);
      if (key === undefined) throw new Error('unknown key ' + job.kid);
      return signOne(key, Buffer.from(job.input));
    });
    parentPort.postMessage({ batch, signatures });
  } catch (error) {
    parentPort.postMessage({ batch, error: String(error && error.message) });
  }
});
`;

/** Signatures per message at most. */
const MAX_BATCH = 8;

interface Job {
  key: SignerKey;
  input: Buffer;
  resolve: (signature: Buffer) => void;
  reject: (error: unknown) => void;
}

/**
 * A {@link Signer} that signs on a worker thread. Requests made in one turn of the event loop go
 * over in one message, so the hop costs little per token; asymmetric signatures (about 50 µs for
 * Ed25519 here) then run beside the event loop instead of on it. If the thread dies, signing
 * continues on the calling thread.
 */
export function createThreadedSigner(): Signer {
  let worker: Worker | undefined = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  const sentKeys = new Set<string>();
  const inflight = new Map<number, Job[]>();
  let queue: Job[] = [];
  let nextBatch = 1;

  function fallBack(): void {
    worker = undefined;
    for (const jobs of inflight.values()) {
      for (const job of jobs) signInline(job);
    }
    inflight.clear();
  }

  function signInline(job: Job): void {
    try {
      job.resolve(signNow(job.key, job.input));
    } catch (error) {
      job.reject(error);
    }
  }

  worker.on('message', (message: { batch: number; signatures?: Uint8Array[]; error?: string }) => {
    const jobs = inflight.get(message.batch);
    inflight.delete(message.batch);
    if (inflight.size === 0) worker?.unref();
    if (jobs === undefined) return;
    if (message.signatures === undefined) {
      const error = new BatonError('ERR_INTERNAL', 'signing failed', {
        detail: message.error ?? 'unknown',
      });
      for (const job of jobs) job.reject(error);
      return;
    }
    jobs.forEach((job, i) => job.resolve(Buffer.from(message.signatures?.[i] ?? [])));
  });
  worker.on('error', fallBack);
  worker.on('exit', fallBack);

  function flushIfQueued(): void {
    if (queue.length > 0) flush();
  }

  function flush(): void {
    const jobs = queue;
    queue = [];
    if (worker === undefined) {
      for (const job of jobs) signInline(job);
      return;
    }
    const added = [];
    for (const { key } of jobs) {
      if (!sentKeys.has(key.kid)) {
        sentKeys.add(key.kid);
        added.push({ kid: key.kid, alg: key.alg, signingKey: key.signingKey });
      }
    }
    const batch = nextBatch++;
    inflight.set(batch, jobs);
    // Keep the process alive while signatures are owed.
    worker.ref();
    worker.postMessage({
      batch,
      keys: added,
      jobs: jobs.map((job) => ({ kid: job.key.kid, input: job.input })),
    });
  }

  return {
    sign(key, input) {
      return new Promise<Buffer>((resolve, reject) => {
        const queued = queue.push({ key, input, resolve, reject });
        // Small batches keep both threads busy: the worker signs one batch while the event loop
        // prepares the next. A lone request goes at the end of the current turn.
        if (queued === MAX_BATCH) flush();
        else if (queued === 1) setImmediate(flushIfQueued);
      });
    },
    async close() {
      const current = worker;
      worker = undefined;
      if (current !== undefined) {
        current.removeAllListeners('exit');
        await current.terminate();
      }
      for (const jobs of inflight.values()) for (const job of jobs) signInline(job);
      inflight.clear();
    },
  };
}
