/** What the issuer did: sessions started, failures by kind, and the rate achieved. */
export interface IssueCounts {
  issued: number;
  failed: number;
  failures: Record<string, number>;
}

/**
 * Starts `rate` sessions a second through POST /admin/sessions (spread over ten ticks, at most
 * 50 requests in flight) until stopped. Requests held back by that limit wait for later ticks,
 * but never more than a second's worth: an overloaded server gets fewer, and the achieved rate
 * says so.
 */
export function startIssuer(
  url: string,
  adminToken: string,
  rate: number,
): { stop(): Promise<IssueCounts> } {
  const counts: IssueCounts = { issued: 0, failed: 0, failures: {} };
  let serial = 0;
  let inFlight = 0;
  const running = new Set<Promise<void>>();
  const issueOne = async (): Promise<void> => {
    try {
      const response = await fetch(`${url}/admin/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ subject: `soak-${serial++}` }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.status === 201) counts.issued++;
      else {
        counts.failed++;
        const kind = `status ${response.status}`;
        counts.failures[kind] = (counts.failures[kind] ?? 0) + 1;
      }
    } catch (error) {
      counts.failed++;
      const kind = error instanceof Error ? error.name : 'error';
      counts.failures[kind] = (counts.failures[kind] ?? 0) + 1;
    }
  };
  let owed = 0;
  const timer = setInterval(() => {
    owed += rate / 10;
    while (owed >= 1 && inFlight < 50) {
      owed--;
      inFlight++;
      const request = issueOne().finally(() => {
        inFlight--;
        running.delete(request);
      });
      running.add(request);
    }
    // Behind by more than a second: drop the backlog rather than bursting later.
    owed = Math.min(owed, rate);
  }, 100);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(running);
      return counts;
    },
  };
}
