#!/usr/bin/env node
// A tiny service whose request metrics a test controls, scraped by the sandbox's Prometheus.
// Plain Node ESM, no dependencies.
//
//   GET  /metrics   Prometheus text format:
//                     http_requests_total{version,code}            counter
//                     http_request_duration_seconds{version}       histogram
//                     slipway_metrics_app_error_rate{version}      gauge (the configured rate)
//   GET  /healthz   200 "ok"
//   GET  /control   current behaviour per version (JSON)
//   POST /control   JSON {"version"?: "canary", "errorRate"?: 0..1, "latencyMs"?: n, "rps"?: n}
//                   changes one version (default: every version); a new version name is added.
//   POST /reset     back to the start-up behaviour (counters keep counting)
//   GET  /          a request served with the behaviour of version ?version= or header
//                   x-slipway-version (default "stable"), counted like the synthetic traffic.
//
// Synthetic traffic: every 100 ms each version "serves" rps/10 requests (default 20 rps), so
// rates are never zero. Errors are spread deterministically: an accumulator adds errorRate per
// request and emits a 500 each time it reaches 1, so the ratio is exact, not random.
//
// Environment: METRICS_APP_PORT (default 9180), METRICS_APP_HOST (default 127.0.0.1),
// METRICS_APP_VERSIONS (default "stable,canary"), METRICS_APP_RPS (default 20).
import http from 'node:http';

const host = process.env.METRICS_APP_HOST ?? '127.0.0.1';
const port = Number(process.env.METRICS_APP_PORT ?? 9180);
const defaultRps = Number(process.env.METRICS_APP_RPS ?? 20);
const initialVersions = (process.env.METRICS_APP_VERSIONS ?? 'stable,canary')
  .split(',')
  .map((v) => v.trim())
  .filter(Boolean);
const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const TICK_MS = 100;

/** @type {Map<string, {errorRate: number, latencyMs: number, rps: number, carry: number, errCarry: number}>} */
const behaviour = new Map();
/** counters keyed by `${version}\u0000${code}` */
const requests = new Map();
/** histograms keyed by version */
const histograms = new Map();

function addVersion(version) {
  if (!behaviour.has(version)) {
    behaviour.set(version, { errorRate: 0, latencyMs: 20, rps: defaultRps, carry: 0, errCarry: 0 });
  }
  if (!histograms.has(version)) {
    histograms.set(version, { counts: buckets.map(() => 0), sum: 0, count: 0 });
  }
  for (const code of ['200', '500']) {
    const key = `${version}\u0000${code}`;
    if (!requests.has(key)) requests.set(key, 0);
  }
}

function reset() {
  for (const b of behaviour.values()) {
    Object.assign(b, { errorRate: 0, latencyMs: 20, rps: defaultRps, errCarry: 0 });
  }
}

for (const v of initialVersions) addVersion(v);

/** Decide the outcome of one request of `version` and count it. */
function record(version) {
  addVersion(version);
  const b = behaviour.get(version);
  b.errCarry += b.errorRate;
  let code = '200';
  if (b.errCarry >= 1 - 1e-9) {
    b.errCarry -= 1;
    code = '500';
  }
  // Latency: the configured value with +-10 % deterministic spread.
  const h = histograms.get(version);
  const spread = (h.count % 5) - 2;
  const seconds = Math.max(0, (b.latencyMs * (1 + spread * 0.05)) / 1000);
  const key = `${version}\u0000${code}`;
  requests.set(key, (requests.get(key) ?? 0) + 1);
  h.count += 1;
  h.sum += seconds;
  buckets.forEach((le, i) => {
    if (seconds <= le) h.counts[i] += 1;
  });
  return { code: Number(code), seconds };
}

setInterval(() => {
  for (const [version, b] of behaviour) {
    b.carry += (b.rps * TICK_MS) / 1000;
    while (b.carry >= 1) {
      b.carry -= 1;
      record(version);
    }
  }
}, TICK_MS).unref();

function esc(v) {
  return String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function metricsText() {
  const out = [];
  out.push('# HELP http_requests_total Requests served, by version and status code.');
  out.push('# TYPE http_requests_total counter');
  for (const [key, n] of requests) {
    const [version, code] = key.split('\u0000');
    out.push(`http_requests_total{version="${esc(version)}",code="${code}"} ${n}`);
  }
  out.push('# HELP http_request_duration_seconds Request latency, by version.');
  out.push('# TYPE http_request_duration_seconds histogram');
  for (const [version, h] of histograms) {
    const v = esc(version);
    buckets.forEach((le, i) => {
      out.push(`http_request_duration_seconds_bucket{version="${v}",le="${le}"} ${h.counts[i]}`);
    });
    out.push(`http_request_duration_seconds_bucket{version="${v}",le="+Inf"} ${h.count}`);
    out.push(`http_request_duration_seconds_sum{version="${v}"} ${h.sum}`);
    out.push(`http_request_duration_seconds_count{version="${v}"} ${h.count}`);
  }
  out.push('# HELP slipway_metrics_app_error_rate Configured error rate, by version.');
  out.push('# TYPE slipway_metrics_app_error_rate gauge');
  for (const [version, b] of behaviour) {
    out.push(`slipway_metrics_app_error_rate{version="${esc(version)}"} ${b.errorRate}`);
  }
  return `${out.join('\n')}\n`;
}

function state() {
  const versions = {};
  for (const [version, b] of behaviour) {
    versions[version] = { errorRate: b.errorRate, latencyMs: b.latencyMs, rps: b.rps };
  }
  return { versions };
}

function send(res, status, body, type = 'application/json') {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      data += c;
      if (data.length > 65536) reject(new Error('body too large'));
    });
    req.on('end', () => {
      try {
        resolve(data.trim() === '' ? {} : JSON.parse(data));
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

function applyControl(body) {
  const errors = [];
  const fields = {};
  if (body.errorRate !== undefined) {
    if (typeof body.errorRate !== 'number' || body.errorRate < 0 || body.errorRate > 1) {
      errors.push('errorRate must be a number in [0, 1]');
    } else fields.errorRate = body.errorRate;
  }
  if (body.latencyMs !== undefined) {
    if (typeof body.latencyMs !== 'number' || body.latencyMs < 0) errors.push('latencyMs must be >= 0');
    else fields.latencyMs = body.latencyMs;
  }
  if (body.rps !== undefined) {
    if (typeof body.rps !== 'number' || body.rps < 0 || body.rps > 10000) errors.push('rps must be in [0, 10000]');
    else fields.rps = body.rps;
  }
  if (body.version !== undefined && (typeof body.version !== 'string' || body.version === '')) {
    errors.push('version must be a non-empty string');
  }
  if (errors.length) return errors;
  const targets = body.version ? [body.version] : [...behaviour.keys()];
  for (const v of targets) {
    addVersion(v);
    const b = behaviour.get(v);
    Object.assign(b, fields);
    if (fields.errorRate !== undefined) b.errCarry = 0;
  }
  return [];
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  try {
    if (req.method === 'GET' && url.pathname === '/metrics') {
      return send(res, 200, metricsText(), 'text/plain; version=0.0.4; charset=utf-8');
    }
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, 'ok\n', 'text/plain');
    if (url.pathname === '/control') {
      if (req.method === 'GET') return send(res, 200, state());
      if (req.method === 'POST' || req.method === 'PUT') {
        const errors = applyControl(await readJson(req));
        if (errors.length) return send(res, 400, { errors });
        return send(res, 200, state());
      }
      return send(res, 405, { errors: ['use GET or POST'] });
    }
    if (req.method === 'POST' && url.pathname === '/reset') {
      reset();
      return send(res, 200, state());
    }
    if (req.method === 'GET' && url.pathname === '/') {
      const version = url.searchParams.get('version') ?? req.headers['x-slipway-version'] ?? 'stable';
      const { code, seconds } = record(String(version));
      setTimeout(() => send(res, code, { version, code }), seconds * 1000);
      return undefined;
    }
    return send(res, 404, { errors: ['not found'] });
  } catch (err) {
    return send(res, 400, { errors: [String(err?.message ?? err)] });
  }
});

server.listen(port, host, () => {
  process.stdout.write(`metrics-app listening on http://${host}:${port} versions=${[...behaviour.keys()]}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
