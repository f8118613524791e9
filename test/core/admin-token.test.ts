import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN_RELOAD_TTL,
  loadAdminToken,
  resetAdminToken,
} from '../../src/core/admin-token.js';
import { createManualClock } from '../../src/core/clock.js';
import { createMemoryStore } from '../../src/stores/memory/memory-store.js';

describe('the generated admin token', () => {
  it('follows a reset made elsewhere within the reload interval', async () => {
    const store = createMemoryStore();
    const clock = createManualClock(1_800_000_000);
    const { verifier, generated } = await loadAdminToken(store, undefined, clock);
    const old = generated as string;
    expect(await verifier.verify(old)).toBe(true);

    const fresh = await resetAdminToken(store); // another process, e.g. the CLI
    // Until the reload interval passes, nothing tells this instance; the old token still works.
    clock.advance(ADMIN_TOKEN_RELOAD_TTL - 1);
    expect(await verifier.verify(old)).toBe(true);
    clock.advance(1);
    expect(await verifier.verify(old)).toBe(false);
    expect(await verifier.verify(fresh)).toBe(true);
  });

  it('tries a token it does not know against the store at once, at most once a second', async () => {
    const store = createMemoryStore();
    const clock = createManualClock(1_800_000_000);
    const { verifier } = await loadAdminToken(store, undefined, clock);
    clock.advance(1);
    const fresh = await resetAdminToken(store);
    expect(await verifier.verify(fresh)).toBe(true);
    const newer = await resetAdminToken(store);
    // Just looked: a second wrong-looking token within the second is refused without a read.
    expect(await verifier.verify(newer)).toBe(false);
    clock.advance(1);
    expect(await verifier.verify(newer)).toBe(true);
  });

  it('never reloads a configured token', async () => {
    const store = createMemoryStore();
    const configured = 'a-configured-admin-token-0123456789abcdef';
    const { verifier, generated } = await loadAdminToken(store, configured, createManualClock());
    expect(generated).toBeUndefined();
    expect(await verifier.verify(configured)).toBe(true);
    expect(await verifier.verify(await resetAdminToken(store))).toBe(false);
  });
});
