import { afterAll, expect, it } from 'vitest';
import { describeSandbox, waitFor, type SandboxInfo } from './sandbox.ts';

interface PromVector {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

describeSandbox('sandbox Prometheus and metrics app', (sb: SandboxInfo) => {
  const app = sb.env.METRICS_APP_URL!;
  const prom = sb.env.PROMETHEUS_URL!;
  // A version of its own, so other runs of this suite (or demos) do not interfere.
  const version = `it-${process.pid}`;

  async function control(body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${app}/control`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(res.status, await res.text()).toBe(200);
  }
  async function query(promql: string): Promise<number | undefined> {
    const res = await fetch(`${prom}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await res.json()) as PromVector;
    if (body.status !== 'success') throw new Error(JSON.stringify(body));
    const v = body.data.result[0]?.value[1];
    return v === undefined ? undefined : Number(v);
  }
  /** `count` readings one scrape interval apart, after the condition first held. */
  async function sampleAfter(count: number, read: () => Promise<number | undefined>): Promise<Array<number | undefined>> {
    const out: Array<number | undefined> = [];
    for (let i = 0; i < count; i++) {
      await new Promise((r) => setTimeout(r, 1_100));
      out.push(await read());
    }
    return out;
  }
  afterAll(async () => {
    await control({ version, rps: 0, errorRate: 0 }).catch(() => {});
  });

  it('scrapes the app every second', async () => {
    // A 5 s window holds about five samples only when the target has been up that long and is scraped each second.
    const samples = await waitFor('five seconds of samples of up{job="metrics-app"}', async () => {
      const count = await query('count_over_time(up{job="metrics-app"}[5s])');
      return count !== undefined && count >= 4 ? count : undefined;
    });
    expect(samples).toBeLessThanOrEqual(6);
    expect(await query('min_over_time(up{job="metrics-app"}[5s])')).toBe(1);
  });

  it('returns the error rate the test sets', async () => {
    await control({ version, errorRate: 0, rps: 50 });
    const errorRate = `sum(rate(http_requests_total{version="${version}",code=~"5.."}[3s])) / sum(rate(http_requests_total{version="${version}"}[3s]))`;
    await waitFor('a zero error rate with traffic', async () => ((await query(errorRate)) === 0 ? true : undefined), { timeoutMs: 20_000 });

    await control({ version, errorRate: 0.25 });
    const observed = await waitFor(
      'error rate near 0.25',
      async () => {
        const v = await query(errorRate);
        return v !== undefined && Math.abs(v - 0.25) < 0.03 ? v : undefined;
      },
      { timeoutMs: 20_000 },
    );
    // Reaching 0.25 once could be a passing value on the way elsewhere: it must hold for the next scrapes.
    expect(observed).toBeGreaterThan(0);
    for (const later of await sampleAfter(3, () => query(errorRate))) expect(later).toBeCloseTo(0.25, 1);
  });

  it('returns the latency the test sets', async () => {
    await control({ version, latencyMs: 400, rps: 50 });
    const p50 = `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{version="${version}"}[3s])))`;
    const v = await waitFor(
      'median latency in (0.25s, 0.5s]',
      async () => {
        const q = await query(p50);
        return q !== undefined && q > 0.25 && q <= 0.5 ? q : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(v).toBeGreaterThan(0);
    for (const later of await sampleAfter(3, () => query(p50))) {
      expect(later).toBeGreaterThan(0.25);
      expect(later).toBeLessThanOrEqual(0.5);
    }
  });
});
