import { execFile } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Measurement, MetricGate, type MetricCheck, measureMetric, PrometheusClient, parseMetricChecks, type PrometheusQueryResult } from '@slipway/core';
import { describeSandbox, repoRoot, type SandboxInfo } from '../../sandbox/sandbox.ts';

/** The canary's error ratio over 3 s (the sandbox scrapes every second), for the workload version `{{canary}}`. */
const errorRatio = 'sum(rate(http_requests_total{version="{{canary}}",code=~"5.."}[3s])) / sum(rate(http_requests_total{version="{{canary}}"}[3s]))';

function errorRateCheck(overrides: Partial<MetricCheck> = {}): MetricCheck {
  const { checks, problems } = parseMetricChecks(`- {name: error-rate, query: '${errorRatio}', threshold: "<= 1%"}`);
  expect(problems).toEqual([]);
  return { ...(checks[0] as MetricCheck), ...overrides };
}

/** Measures every 500 ms until `done` holds for a measurement; returns every measurement taken. */
async function measureUntil(measure: () => Promise<Measurement>, done: (m: Measurement) => boolean, timeoutMs = 25_000): Promise<Measurement[]> {
  const taken: Measurement[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const measurement = await measure();
    taken.push(measurement);
    if (done(measurement)) return taken;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms; measured: ${taken.map((m) => `${m.outcome} ${m.detail}`).join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A TCP forwarder of this test's own in front of the shared Prometheus, so "stopping Prometheus" stops only this. */
async function forwarder(target: URL): Promise<{ url: string; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

describeSandbox('canary metric analysis against the sandbox Prometheus', (sb: SandboxInfo) => {
  const app = sb.env.METRICS_APP_URL as string;
  const prometheusUrl = sb.env.PROMETHEUS_URL as string;
  const prometheus = new PrometheusClient({ url: prometheusUrl });
  // A version of this suite's own: the metrics app and Prometheus are shared with other suites.
  const version = `analysis-test-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const vars = { release: 'shop', namespace: 'analysis', canary: version };
  const cleanups: Array<() => Promise<void>> = [];

  async function control(body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${app}/control`, { method: 'POST', body: JSON.stringify({ version, ...body }), headers: { 'content-type': 'application/json' } });
    expect(res.status, await res.text()).toBe(200);
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    // Only this suite's version: a global POST /reset would change what concurrent suites are measuring.
    await control({ errorRate: 0, latencyMs: 20 });
  });

  it('a healthy canary passes, with its measured error rate', async () => {
    await control({ errorRate: 0 });
    const check = errorRateCheck();
    const taken = await measureUntil(
      () => measureMetric(prometheus, check, vars),
      (m) => m.outcome !== 'NoData',
    );
    const last = taken.at(-1) as Measurement;
    expect(last).toMatchObject({ metric: 'error-rate', outcome: 'Pass', value: 0, valueText: '0%', threshold: '<= 1%', detail: '0% <= 1%' });
    expect(last.durationMs).toBeLessThan(2_000);
    // Before its first scrapes the version has no series yet: that was NoData, never Fail.
    expect(taken.every((m) => m.outcome === 'Pass' || m.outcome === 'NoData')).toBe(true);
  });

  it('a raised error rate fails with the measured value, and the second failure trips the gate', async () => {
    await control({ errorRate: 0 });
    const gate = new MetricGate(prometheus, errorRateCheck(), vars);
    const signal = new AbortController().signal;
    await measureUntil(
      async () => (await gate.measure(signal)).measurement,
      (m) => m.outcome === 'Pass',
    );

    await control({ errorRate: 0.2 });
    // The 3 s window fills within a few scrapes; on the way the ratio passes through smaller values.
    const verdicts: Awaited<ReturnType<MetricGate['measure']>>[] = [];
    await measureUntil(
      async () => {
        const verdict = await gate.measure(signal);
        verdicts.push(verdict);
        return verdict.measurement;
      },
      () => gate.state.tripped !== undefined,
    );
    const tripped = verdicts.at(-1);
    expect(tripped).toMatchObject({ status: 'tripped', action: 'fail' });
    expect(gate.state.failures).toBe(2);
    expect(tripped?.measurement.outcome).toBe('Fail');
    expect(tripped?.status === 'tripped' && tripped.reason).toMatch(
      /^error-rate: 2 failed measurements, more than failure-limit 1 \(latest: [\d.]+% is not <= 1%\)$/,
    );
    // Once the window is full of the new rate (scrapes lag under load), the value is the rate the app was told: exactly 20 %.
    let settled = await measureMetric(prometheus, errorRateCheck(), vars);
    for (let tries = 0; tries < 40 && Math.abs((settled.value ?? 0) - 0.2) > 1e-6; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      settled = await measureMetric(prometheus, errorRateCheck(), vars);
    }
    expect(settled).toMatchObject({ outcome: 'Fail', detail: '20% is not <= 1%' });
    expect(settled.value).toBeCloseTo(0.2, 6);
  });

  it('a query selecting no series is NoData, not Fail', async () => {
    const check = errorRateCheck({ query: errorRatio.replaceAll('{{canary}}', 'no-such-version-{{canary}}') });
    const measurement = await measureMetric(prometheus, check, vars);
    expect(measurement).toMatchObject({ outcome: 'NoData', detail: 'no data: the query matched no series (is the canary serving traffic yet?)' });
    expect(measurement).not.toHaveProperty('value');
  });

  it('no traffic in the window (0/0) is NoData, not Fail', async () => {
    await control({ errorRate: 0, rps: 20 });
    const check = errorRateCheck({
      query: 'sum(rate(http_requests_total{version="{{canary}}",code="500"}[3s])) / sum(rate(http_requests_total{version="{{canary}}",code="500"}[3s]))',
    });
    const taken = await measureUntil(
      () => measureMetric(prometheus, check, vars),
      (m) => m.detail.includes('NaN'),
    );
    expect(taken.at(-1)).toMatchObject({ outcome: 'NoData', detail: 'no data: the query returned NaN (e.g. 0/0: nothing was served in the window)' });
  });

  it('Prometheus stopped mid-analysis gives Error, not Fail, handled by its policy', async () => {
    await control({ errorRate: 0.2 });
    const front = await forwarder(new URL(prometheusUrl));
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await front.stop();
    });
    const through = new PrometheusClient({ url: front.url, timeoutMs: 3_000 });
    const check = errorRateCheck({ consecutiveErrorLimit: 1, onError: 'pause', failureLimit: 5 });
    // Reaches Prometheus through the forwarder; a fresh version has no series for a second or two.
    await measureUntil(
      () => measureMetric(through, check, vars),
      (m) => m.outcome === 'Fail',
    );
    const gate = new MetricGate(through, check, vars);
    const signal = new AbortController().signal;
    expect(await gate.measure(signal)).toMatchObject({ status: 'measured', measurement: { outcome: 'Fail' } });
    const failuresBefore = gate.state.failures;

    await front.stop();
    stopped = true;
    const first = await gate.measure(signal);
    expect(first).toMatchObject({ status: 'measured', passed: false, measurement: { outcome: 'Error', errorReason: 'unreachable' } });
    expect(first.measurement.detail, first.measurement.detail).toMatch(
      new RegExp(`^Prometheus at ${front.url}/api/v1/query could not be reached: .*ECONNREFUSED`),
    );
    expect(first.measurement).not.toHaveProperty('value');
    const second = await gate.measure(signal);
    expect(second).toMatchObject({ status: 'tripped', action: 'pause' });
    expect(second.status === 'tripped' && second.reason).toMatch(
      /^error-rate: 2 errors in a row, more than consecutive-error-limit 1 \(latest: Prometheus at .* could not be reached/,
    );
    // The failing canary was not charged for the outage.
    expect(gate.state.failures).toBe(failuresBefore);
    expect(gate.state.tripped?.class).toBe('Error');
    expect(await through.checkQuery('up')).toMatchObject({ kind: 'unreachable', error: { reason: 'unreachable' } });
  });

  it("checkQuery: bad PromQL is rejected with Prometheus' message; a good one is ok", async () => {
    expect(await prometheus.checkQuery('sum(rate(http_requests_total[1m])')).toEqual({
      kind: 'rejected',
      message: 'Prometheus rejected the query (400 bad_data): invalid parameter "query": 1:34: parse error: unclosed left parenthesis',
      hint: 'fix the PromQL; try it in the Prometheus UI',
    });
    expect(await prometheus.checkQuery('http_requests_total[1m]')).toMatchObject({ kind: 'rejected', message: expect.stringContaining('range vector') });
    const ok = await prometheus.checkQuery(errorRatio.replaceAll('{{canary}}', 'not-deployed-yet'));
    expect(ok).toEqual({ kind: 'ok', result: { kind: 'no-data', cause: 'empty', detail: 'the query matched no series' } });
  });
});

describeSandbox('canary metric analysis against managed Prometheus (Entra-checked)', (sb: SandboxInfo) => {
  const managed = sb.env.SANDBOX_MANAGED_PROMETHEUS_URL ?? '';
  const need = (name: string) => sb.env[name] ?? '';

  /** One query from a process of its own, which trusts the sandbox CA as a runner would (NODE_EXTRA_CA_CERTS). */
  function probe(principal: { clientId: string; clientSecret: string } | undefined): Promise<{ result: PrometheusQueryResult; check: { kind: string } }> {
    const input = {
      url: managed,
      query: 'sum(up{job="metrics-app"})',
      ...(principal ? { ...principal, tenantId: need('SANDBOX_TENANT_ID'), authorityHost: need('AZURE_DOUBLES_URL') } : {}),
    };
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'test/integration/canary/analysis/managed-prometheus-probe.ts', JSON.stringify(input)],
        { cwd: repoRoot, env: { ...process.env, NODE_EXTRA_CA_CERTS: need('SANDBOX_CA_CERT'), HTTPS_PROXY: '', HTTP_PROXY: '' }, timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
      );
    });
  }

  const title =
    managed === ''
      ? 'skipped: SANDBOX_MANAGED_PROMETHEUS_URL is empty (this sandbox has no managed-Prometheus double; npm run sandbox:up adds it)'
      : `at ${managed}`;
  describe.skipIf(managed === '')(title, () => {
    it('the bound principal queries with its own Entra token', async () => {
      const { result, check } = await probe({ clientId: need('SANDBOX_AKS_BOUND_CLIENT_ID'), clientSecret: need('SANDBOX_AKS_BOUND_CLIENT_SECRET') });
      expect(result).toEqual({ kind: 'value', value: 1, labels: {} });
      expect(check.kind).toBe('rejected');
    });

    it('the unbound principal is refused (403) with the role to grant', async () => {
      const { result } = await probe({ clientId: need('SANDBOX_AKS_UNBOUND_CLIENT_ID'), clientSecret: need('SANDBOX_AKS_UNBOUND_CLIENT_SECRET') });
      expect(result).toMatchObject({ kind: 'error', error: { reason: 'forbidden', status: 403, hint: expect.stringContaining('Monitoring Data Reader') } });
    });

    it('no token is refused (401) with the scope to ask for', async () => {
      const { result } = await probe(undefined);
      expect(result).toMatchObject({
        kind: 'error',
        error: { reason: 'unauthorized', status: 401, hint: expect.stringContaining('prometheus.monitor.azure.com') },
      });
    });
  });
});
