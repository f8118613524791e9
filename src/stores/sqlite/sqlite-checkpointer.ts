import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// The worker is evaluated from source so that it runs unchanged from src/ (tests) and dist/.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = ' + workerData.synchronous);
const checkpoint = () => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    if (result && result.log >= workerData.restartFrames) parentPort.postMessage('restart');
  } catch { /* busy or closing: next tick */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/** A background thread that copies WAL pages into the database file. */
export interface Checkpointer {
  /** Runs a last checkpoint and stops the thread. */
  stop(): Promise<void>;
}

/**
 * Starts the checkpoint thread for a WAL database. Checkpoints copy pages and fsync the database
 * file; on the event loop they stall every request (the reason a naive SQLite rotation has a
 * 40 ms p99), so the serving connection turns automatic checkpoints off and this thread does
 * them with a connection of its own. PASSIVE checkpoints never block the writer. When the WAL
 * has grown past `restartFrames` pages, the thread calls `restart` (on the serving thread) to
 * finish the checkpoint there, which lets the next write start the WAL over.
 */
export function startCheckpointer(
  path: string,
  synchronous: string,
  restart: () => void,
  intervalMs = 200,
  restartFrames = 1000,
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, path, synchronous, intervalMs, restartFrames },
  });
  worker.unref();
  worker.on('message', restart);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // A failing checkpointer must not take the server down; the serving connection still works
  // and the WAL is checkpointed when the database closes.
  worker.on('error', () => undefined);
  return {
    async stop() {
      // Hold the process open until the last checkpoint is done; unref'd, an idle event loop
      // would exit mid-shutdown.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
