import { killAllServers } from './server-process.js';

/**
 * Runs a benchmark's `main`: its result is the exit code, a failure is printed, and however the
 * run ends (finished, failed or interrupted) no server child is left running and `cleanup`
 * removes what the run made (temporary files, PostgreSQL schemas).
 */
export function runBenchMain(name: string, main: () => Promise<number>, cleanup: () => void): void {
  const say = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  let finished = false;
  process.on('exit', () => {
    killAllServers();
    cleanup();
    // Nothing pending kept Node alive although the run had not ended: a bug, not a result.
    if (!finished) {
      say(`${name}: the event loop emptied before the run finished`);
      process.exitCode = 1;
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      finished = true;
      say(`${name}: ${signal}: stopping`);
      process.exit(130);
    });
  }
  main().then(
    (code) => {
      finished = true;
      process.exitCode = code;
    },
    (error: unknown) => {
      finished = true;
      killAllServers();
      say(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exitCode = 1;
    },
  );
}
