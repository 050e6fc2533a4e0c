import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, InputProblems, InternalError, parseSmokeChecks, runSmokeChecks, type RunSmokeChecksOptions, type SmokeCheck } from '@slipway/core';

// A real HTTP server on loopback: the engine's requests, timeouts and redirects are Node's own, not mocks.
let server: Server;
let base: string;
const flakyCounts = new Map<string, number>();

function handle(request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'text/plain', ...headers });
    response.end(body);
  };
  const [, route, arg] = url.pathname.split('/');
  switch (route) {
    case 'status':
      return send(Number(arg), `status ${arg}`);
    case 'ready':
      return send(200, 'ready: all good');
    case 'json':
      return send(200, JSON.stringify({ status: url.searchParams.get('status'), deps: [{ state: 'up' }, { state: url.searchParams.get('dep') ?? 'up' }] }), {
        'content-type': 'application/json',
      });
    case 'slow':
      setTimeout(() => send(200, 'late'), Number(url.searchParams.get('ms')));
      return;
    case 'flaky': {
      const count = (flakyCounts.get(arg ?? '') ?? 0) + 1;
      flakyCounts.set(arg ?? '', count);
      return count <= Number(url.searchParams.get('fails')) ? send(503, `not yet (${count})`) : send(200, 'up');
    }
    case 'redirect':
      return send(302, '', { location: '/ready' });
    case 'echo':
      return send(500, `you sent ${JSON.stringify(request.headers)}`);
    case 'big':
      return send(503, 'x'.repeat(10_000));
    case 'hang':
      return;
    default:
      return send(404, 'no such route');
  }
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function checks(yaml: string): SmokeCheck[] {
  const problems = new InputProblems();
  const parsed = parseSmokeChecks(yaml.replaceAll('$BASE', base), { input: 'checks', problems });
  expect(problems.list).toEqual([]);
  return parsed;
}

function run(yaml: string, options: Partial<RunSmokeChecksOptions> = {}) {
  const lines: string[] = [];
  const secrets: string[] = [];
  const events: string[] = [];
  const promise = runSmokeChecks(checks(yaml), {
    deadlineMs: 30_000,
    log: {
      info: (line) => {
        lines.push(line);
        events.push('log');
      },
    },
    setSecret: (value) => {
      secrets.push(value);
      events.push('secret');
    },
    signal: new AbortController().signal,
    // Retry delays are real but short: the tests below give retry-delay explicitly.
    ...options,
  });
  return { promise, lines, secrets, events };
}

describe('runSmokeChecks against a real HTTP server', () => {
  it('expects a 2xx by default, and codes or classes when told', async () => {
    const { promise } = run(`
- { name: created, url: $BASE/status/201 }
- { name: teapot, url: $BASE/status/418, retries: 0, expect-status: [200, 3xx] }
- { name: down-is-fine, url: $BASE/status/503, expect-status: 5xx }
`);
    const result = await promise;
    expect(result.passed).toBe(false);
    expect(result.checks.map((check) => [check.name, check.passed, check.status, check.failures])).toEqual([
      ['created', true, 201, []],
      ['teapot', false, 418, ['status 418 not in 200, 3xx: status 418']],
      ['down-is-fine', true, 503, []],
    ]);
  });

  it('matches the body with a regex, and reads JSON with a JSONPath', async () => {
    const { promise } = run(`
- { name: regex-ok, url: $BASE/ready, body-matches: '^ready' }
- { name: regex-bad, url: $BASE/ready, body-matches: '^down', retries: 0 }
- { name: json-ok, url: $BASE/json?status=ok, json-path: $.status, json-equals: ok }
- { name: json-down, url: $BASE/json?status=down, json-path: $.status, json-equals: ok, retries: 0 }
- { name: json-all, url: '$BASE/json?status=ok&dep=down', json-path: '$.deps[*].state', json-equals: up, retries: 0 }
- { name: json-missing, url: $BASE/json?status=ok, json-path: $.version, retries: 0 }
- { name: not-json, url: $BASE/ready, json-path: $.status, retries: 0 }
`);
    const result = await promise;
    expect(Object.fromEntries(result.checks.map((check) => [check.name, check.failures]))).toEqual({
      'regex-ok': [],
      'regex-bad': ['body did not match /^down/: ready: all good'],
      'json-ok': [],
      'json-down': ['$.status was "down" not "ok"'],
      'json-all': ['$.deps[*].state was "down" (one of 2 values) not "up"'],
      'json-missing': ['$.version matched nothing'],
      'not-json': ['body is not JSON, so $.status cannot be read: ready: all good'],
    });
  });

  it('fails a response slower than max-latency, naming both numbers', async () => {
    const { promise } = run(`
- { name: slow, url: '$BASE/slow?ms=300', max-latency: 100ms, retries: 0 }
- { name: fast-enough, url: '$BASE/slow?ms=10', max-latency: 2s }
`);
    const [slow, fast] = (await promise).checks;
    expect(slow?.passed).toBe(false);
    expect(slow?.latencyMs).toBeGreaterThanOrEqual(290);
    expect(slow?.failures).toEqual([`${slow?.latencyMs} ms > 100 ms`]);
    expect(fast?.passed).toBe(true);
  });

  it('retries until the check passes, logging one line per attempt and one per result', async () => {
    const { promise, lines } = run(`
- { name: warming, url: '$BASE/flaky/a?fails=2', retries: 2, retry-delay: 50ms }
- { name: never-warm, url: '$BASE/flaky/b?fails=9', retries: 1, retry-delay: 50ms }
`);
    const [warming, never] = (await promise).checks;
    expect(warming).toMatchObject({ passed: true, attempts: 3, status: 200, failures: [] });
    expect(never).toMatchObject({ passed: false, attempts: 2, status: 503, failures: ['status 503 not in 2xx: not yet (2)'] });
    const warmingLines = lines.filter((line) => line.startsWith('smoke: [warming]'));
    expect(warmingLines).toEqual([
      expect.stringMatching(
        /^smoke: \[warming\] attempt 1\/3: GET http:\/\/127\.0\.0\.1:\d+\/flaky\/a\?fails=2: 503 in \d+ ms — status 503 not in 2xx: not yet \(1\)$/,
      ),
      expect.stringMatching(/^smoke: \[warming\] attempt 2\/3: .*: 503 in \d+ ms — status 503 not in 2xx: not yet \(2\)$/),
      expect.stringMatching(/^smoke: \[warming\] attempt 3\/3: .*: 200 in \d+ ms$/),
      expect.stringMatching(/^smoke: \[warming\] passed: 200 in \d+ ms \(3 attempts\)$/),
    ]);
    expect(lines.filter((line) => line.startsWith('smoke: [never-warm]')).at(-1)).toBe(
      'smoke: [never-warm] failed after 2 attempts: status 503 not in 2xx: not yet (2)',
    );
  });

  it('stops every check at the overall deadline: a hanging one, and one whose retries would outlast it', async () => {
    const started = Date.now();
    const { promise } = run(
      `
- { name: hangs, url: $BASE/hang, timeout: 30s }
- { name: retries-too-long, url: $BASE/status/503, retries: 5, retry-delay: 5s }
`,
      { deadlineMs: 700 },
    );
    const result = await promise;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.passed).toBe(false);
    expect(result.deadlineReached).toBe(true);
    expect(result.checks[0]).toMatchObject({ passed: false, attempts: 1, status: undefined, failures: ['no response before the deadline of 700 ms'] });
    expect(result.checks[1]).toMatchObject({
      passed: false,
      attempts: 1,
      failures: ['deadline of 700 ms reached after 1 attempt', 'status 503 not in 2xx: status 503'],
    });
  });

  it('times out one attempt at its timeout, then retries', async () => {
    const { promise } = run('- { name: hangs, url: $BASE/hang, timeout: 200ms, retries: 1, retry-delay: 10ms }');
    const [check] = (await promise).checks;
    expect(check).toMatchObject({ passed: false, attempts: 2, failures: ['no response within 200 ms'] });
  });

  it('does not follow a redirect: the 3xx is the result', async () => {
    const { promise } = run(`
- { name: follows-not, url: $BASE/redirect, retries: 0 }
- { name: expects-redirect, url: $BASE/redirect, expect-status: 302 }
`);
    const [follows, expects] = (await promise).checks;
    expect(follows).toMatchObject({ passed: false, status: 302, failures: ['status 302 not in 2xx (redirect to /ready, not followed)'] });
    expect(expects).toMatchObject({ passed: true, status: 302 });
  });

  it('masks secret header values before logging anything, and never prints them, even when the server echoes them', async () => {
    const token = 'tok-9f8e7d6c5b4a';
    const session = 'sess-0a1b2c3d';
    const { promise, lines, secrets, events } = run(`
- name: echo
  url: $BASE/echo
  retries: 1
  retry-delay: 10ms
  headers: { Authorization: 'Bearer ${token}', X-Session: ${session}, X-Plain: visible-value }
  secret-headers: [X-Session]
`);
    const result = await promise;
    expect(secrets).toEqual([`Bearer ${token}`, token, session]);
    expect(events.indexOf('log')).toBeGreaterThan(events.lastIndexOf('secret'));
    expect(lines).toHaveLength(3);
    const everything = [...lines, JSON.stringify(result)].join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(session);
    // The echo did reach the log, redacted: the masking is of values, not of the whole body.
    expect(lines[0]).toContain('***');
    expect(lines[0]).toContain('visible-value');
  });

  it('quotes at most about 200 characters of a body', async () => {
    const { promise, lines } = run('- { name: big, url: $BASE/big, retries: 0 }');
    const [check] = (await promise).checks;
    expect(check?.failures[0]).toBe(`status 503 not in 2xx: ${'x'.repeat(200)}…`);
    for (const line of lines) expect(line.length).toBeLessThan(400);
  });

  it('reports a refused connection as a failed attempt', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { promise } = run(`- { name: refused, url: 'http://127.0.0.1:${port}/', retries: 0 }`);
    const [check] = (await promise).checks;
    expect(check).toMatchObject({ passed: false, status: undefined, latencyMs: undefined });
    expect(check?.failures[0]).toMatch(/^no response: .*ECONNREFUSED/);
  });

  it('stops with CancelledError when cancelled, mid-request or mid-delay', async () => {
    const controller = new AbortController();
    const { promise } = run('- { name: hangs, url: $BASE/hang, timeout: 30s }', { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(promise).rejects.toBeInstanceOf(CancelledError);

    const second = new AbortController();
    const delayed = run('- { name: waits, url: $BASE/status/503, retries: 3, retry-delay: 20s }', { signal: second.signal });
    setTimeout(() => second.abort(), 200);
    await expect(delayed.promise).rejects.toBeInstanceOf(CancelledError);
  });

  it('refuses a service target without a Kubernetes API connection (a caller bug)', async () => {
    const { promise } = run('- { name: svc, service: web:80 }');
    await expect(promise).rejects.toBeInstanceOf(InternalError);
  });
});
