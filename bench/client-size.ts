/**
 * The size of the browser bundle of `baton/client`: `src/client/index.ts` bundled and minified
 * by esbuild as an ES module for browsers, then gzipped (level 9) by node:zlib.
 *
 * Run: `node --import tsx bench/client-size.ts`
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** What {@link run} measured, in bytes. */
export interface ClientSizeResult {
  minifiedBytes: number;
  gzippedBytes: number;
}

/** Bundles the client and measures it. */
export async function run(): Promise<ClientSizeResult> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/client/index.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { minifiedBytes: code.byteLength, gzippedBytes: gzipSync(code, { level: 9 }).byteLength };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { minifiedBytes, gzippedBytes } = await run();
  console.log(
    `baton/client browser bundle: ${minifiedBytes.toLocaleString('en')} bytes minified, ` +
      `${gzippedBytes.toLocaleString('en')} bytes minified+gzipped`,
  );
}
