import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusClient } from '@slipway/core';

/** What the local server saw of one request. */
interface Seen {
  method: string;
  path: string;
  query: string | null;
  time: string | null;
  authorization: string | undefined;
  contentType: string | undefined;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A local HTTP server standing in for Prometheus (or a proxy before it); `answer` decides each reply. */
async function fakePrometheus(answer: (seen: Seen, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const params = req.method === 'POST' ? new URLSearchParams(body) : url.searchParams;
      const request: Seen = {
        method: req.method ?? '',
        path: url.pathname,
        query: params.get('query'),
        time: params.get('time'),
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
      };
      seen.push(request);
      answer(request, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const success = (res: ServerResponse, value = '0.5') => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"${value}"]}]}}`);
};

describe('PrometheusClient', () => {
  it('POSTs the query as a form to <base>/api/v1/query, with the evaluation time', async () => {
    const prom = await fakePrometheus((_seen, res) => success(res));
    const client = new PrometheusClient({ url: `${prom.url}/prom/` });
    expect(client.endpoint).toBe(`${prom.url}/prom/api/v1/query`);
    expect(await client.query('sum(up)', { time: new Date(1_700_000_000_250) })).toEqual({ kind: 'value', value: 0.5, labels: {} });
    expect(prom.seen).toEqual([
      {
        method: 'POST',
        path: '/prom/api/v1/query',
        query: 'sum(up)',
        time: '1700000000.250',
        authorization: undefined,
        contentType: expect.stringContaining('application/x-www-form-urlencoded'),
      },
    ]);
  });

  it('accepts a URL that already ends with /api/v1/query', () => {
    expect(new PrometheusClient({ url: 'https://ws.eastus.prometheus.monitor.azure.com/api/v1/query?x=1' }).endpoint).toBe(
      'https://ws.eastus.prometheus.monitor.azure.com/api/v1/query',
    );
  });

  it('sends GET when asked, and falls back to GET for good when POST gets a 405', async () => {
    const prom = await fakePrometheus((seen, res) => {
      if (seen.method === 'POST') {
        res.writeHead(405).end('Method Not Allowed');
        return;
      }
      success(res);
    });
    const client = new PrometheusClient({ url: prom.url });
    expect((await client.query('up')).kind).toBe('value');
    expect((await client.query('up')).kind).toBe('value');
    expect(prom.seen.map((s) => `${s.method} ${s.query}`)).toEqual(['POST up', 'GET up', 'GET up']);

    const getOnly = new PrometheusClient({ url: prom.url, method: 'GET' });
    await getOnly.query('sum(rate(x{a="b c"}[1m]))');
    expect(prom.seen.at(-1)).toMatchObject({ method: 'GET', query: 'sum(rate(x{a="b c"}[1m]))' });
  });

  it('sends a bearer token from the supplier on every query', async () => {
    const prom = await fakePrometheus((_seen, res) => success(res));
    let n = 0;
    const client = new PrometheusClient({ url: prom.url, getToken: async () => `t${++n}` });
    await client.query('up');
    await client.query('up');
    expect(prom.seen.map((s) => s.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
  });

  it('turns user:password in the URL into Basic auth and keeps it out of the endpoint', async () => {
    const prom = await fakePrometheus((_seen, res) => success(res));
    const client = new PrometheusClient({ url: prom.url.replace('http://', 'http://reader:s%40cret@') });
    expect(client.endpoint).not.toContain('s%40cret');
    await client.query('up');
    expect(prom.seen[0]?.authorization).toBe(`Basic ${Buffer.from('reader:s@cret').toString('base64')}`);
  });

  it('returns a token failure as an Error outcome', async () => {
    const prom = await fakePrometheus((_seen, res) => success(res));
    const client = new PrometheusClient({
      url: prom.url,
      getToken: async () => {
        throw new Error('AADSTS7000215: Invalid client secret provided.');
      },
    });
    expect(await client.query('up')).toEqual({
      kind: 'error',
      error: { reason: 'token', message: 'could not get a token for Prometheus: AADSTS7000215: Invalid client secret provided.', hint: expect.any(String) },
    });
    expect(prom.seen).toEqual([]);
  });

  it('gives up after its time limit, as an Error outcome naming it', async () => {
    const prom = await fakePrometheus(() => {
      // never answers
    });
    const client = new PrometheusClient({ url: prom.url, timeoutMs: 200 });
    const started = Date.now();
    expect(await client.query('up')).toMatchObject({
      kind: 'error',
      error: { reason: 'timeout', message: `Prometheus did not answer within 200ms (${prom.url}/api/v1/query)` },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a refused connection with the socket error', async () => {
    const prom = await fakePrometheus((_seen, res) => success(res));
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const result = await new PrometheusClient({ url: prom.url }).query('up');
    expect(result).toMatchObject({ kind: 'error', error: { reason: 'unreachable' } });
    expect(result.kind === 'error' && result.error.message).toMatch(/could not be reached: .*ECONNREFUSED/);
  });

  it('sends a query again once when its connection closes before an answer (a stale kept-alive connection)', async () => {
    let requests = 0;
    const prom = await fakePrometheus((seen, res) => {
      requests += 1;
      if (requests === 1 || seen.query === 'always-drop') res.socket?.destroy();
      else success(res);
    });
    const client = new PrometheusClient({ url: prom.url });
    expect(await client.query('up')).toEqual({ kind: 'value', value: 0.5, labels: {} });
    expect(prom.seen.map((s) => s.query)).toEqual(['up', 'up']);

    const dropped = await client.query('always-drop');
    expect(prom.seen.filter((s) => s.query === 'always-drop')).toHaveLength(2);
    expect(dropped).toMatchObject({
      kind: 'error',
      error: { reason: 'unreachable', message: expect.stringContaining('the connection closed before Prometheus answered') },
    });
  });

  it('throws when the caller cancels, while waiting for an answer', async () => {
    const prom = await fakePrometheus(() => {
      // never answers
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('received SIGTERM')), 50);
    await expect(new PrometheusClient({ url: prom.url }).query('up', { signal: controller.signal })).rejects.toThrow('received SIGTERM');
  });

  it.each<[string, number, string, string]>([
    ['ok for a value', 200, '{"status":"success","data":{"resultType":"vector","result":[]}}', 'ok'],
    ['rejected for bad_data', 400, '{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}', 'rejected'],
    ['rejected for a range vector', 200, '{"status":"success","data":{"resultType":"matrix","result":[]}}', 'rejected'],
    ['ok for an execution error (it depends on the data)', 422, '{"status":"error","errorType":"execution","error":"many-to-many"}', 'ok'],
    ['unreachable for a 403', 403, 'no', 'unreachable'],
    ['unreachable for a 503', 503, '{"status":"error","errorType":"unavailable","error":"x"}', 'unreachable'],
  ])('checkQuery: %s', async (_what, status, body, kind) => {
    const prom = await fakePrometheus((_seen, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
    const check = await new PrometheusClient({ url: prom.url }).checkQuery('q');
    expect(check.kind).toBe(kind);
    if (check.kind === 'rejected') expect(check.message.length).toBeGreaterThan(10);
  });
});
