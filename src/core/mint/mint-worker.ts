import { parentPort, workerData } from 'node:worker_threads';
import { mintParts, type MintKey, type MintedParts } from './mint.js';

/**
 * One job as it crosses to the minting thread: strings only, which clone by copying, where
 * objects would be walked field by field on both sides.
 * [kid, claims JSON, rest of the token set JSON, new refresh token, presented token, box aad]
 */
export type MintWireJob = [string, string, string, string | null, string | null, string];

/** A batch of jobs; keys travel once, the first time they are used. */
export interface MintBatch {
  batch: number;
  keys: MintKey[];
  jobs: MintWireJob[];
}

/** The minting thread's answer to a {@link MintBatch}. */
export type MintReply = { batch: number; parts: MintedParts[] } | { batch: number; error: string };

// The entry of the minting thread started by createThreadedMinter.
const pepper = Buffer.from((workerData as { pepper: Uint8Array }).pepper);
const keys = new Map<string, MintKey>();

parentPort?.on('message', ({ batch, keys: added, jobs }: MintBatch) => {
  for (const key of added) keys.set(key.kid, key);
  let reply: MintReply;
  try {
    reply = {
      batch,
      parts: jobs.map(([kid, claims, rest, refreshToken, presented, aad]) => {
        const key = keys.get(kid);
        if (key === undefined) throw new Error(`unknown key ${kid}`);
        return mintParts({
          key,
          claimsJson: claims,
          restJson: rest,
          refreshToken,
          presentedToken: presented,
          boxAad: aad,
          pepper,
        });
      }),
    };
  } catch (error) {
    reply = { batch, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
