import { describe, expect, it } from 'vitest';
import { InputProblems, parseSmokeChecks, parseUrlCheck, smokeCheckDefaults } from '@slipway/core';

function parse(text: string) {
  const problems = new InputProblems();
  const checks = parseSmokeChecks(text, { input: 'checks', problems });
  return { checks, problems: problems.list.map((problem) => `${problem.input}: ${problem.message}`) };
}

describe('parseSmokeChecks', () => {
  it('reads every field of a url check and of a service check', () => {
    const { checks, problems } = parse(`
- name: health
  url: https://api.example.com/healthz?deep=1
  method: post
  headers:
    Authorization: Bearer s3cr3t-token
    X-Trace: abc
    X-Session: sess-1234
  secret-headers: [X-Session]
  body: '{"ping": true}'
  expect-status: [200, 3xx]
  json-path: $.status
  json-equals: ok
  max-latency: 500ms
  retries: 5
  retry-delay: 250ms
  timeout: 3s
- name: web
  service: web:http
  namespace: shop
  path: /ready
  scheme: https
  body-matches: ^ready
`);
    expect(problems).toEqual([]);
    expect(checks[0]).toEqual({
      name: 'health',
      target: { kind: 'url', url: 'https://api.example.com/healthz?deep=1' },
      method: 'POST',
      headers: { Authorization: 'Bearer s3cr3t-token', 'X-Trace': 'abc', 'X-Session': 'sess-1234' },
      secretHeaders: ['authorization', 'x-session'],
      body: '{"ping": true}',
      expectStatus: [
        { kind: 'code', code: 200 },
        { kind: 'class', hundreds: 3 },
      ],
      expectBody: { kind: 'json-path', path: '$.status', equals: 'ok' },
      maxLatencyMs: 500,
      retries: 5,
      retryDelayMs: 250,
      timeoutMs: 3000,
    });
    expect(checks[1]).toMatchObject({
      name: 'web',
      target: { kind: 'service', name: 'web', port: 'http', namespace: 'shop', scheme: 'https', path: '/ready' },
      method: 'GET',
      expectStatus: [{ kind: 'class', hundreds: 2 }],
      expectBody: { kind: 'regex', source: '^ready' },
      retries: smokeCheckDefaults.retries,
      retryDelayMs: smokeCheckDefaults.retryDelayMs,
      timeoutMs: smokeCheckDefaults.timeoutMs,
    });
  });

  it('gives a check without a name one from its position, and a service path of /', () => {
    const { checks, problems } = parse('- service: web:8080\n');
    expect(problems).toEqual([]);
    expect(checks[0]).toMatchObject({
      name: 'check 1',
      target: { kind: 'service', name: 'web', port: '8080', namespace: undefined, scheme: 'http', path: '/' },
    });
  });

  it('reports every problem of every check together, each naming checks[i].field', () => {
    const { checks, problems } = parse(`
- name: one
  url: ftp://files.example.com/x
  colour: blue
  expect-status: [200, 7xx, abc]
  retries: many
  max-latency: soon
- name: one
  service: Web_1
  path: healthz
  scheme: gopher
  namespace: Not_A_NS
- url: https://user:pw@example.com/
  service: web:80
- name: four
  url: https://example.com/
  method: TRACE
  body: x
  body-matches: '(unclosed'
  json-path: $.a
  secret-headers: [X-Missing]
- name: five
  url: https://example.com/
  json-equals: ok
  json-path: 'status'
- just a string
- name: seven
  service: web:99999
  headers:
    'bad header': x
`);
    expect(checks).toEqual([]);
    expect(problems).toEqual([
      'checks[0].colour: is not a check field; the fields are name, url, service, namespace, path, scheme, method, headers, secret-headers, body, expect-status, body-matches, json-path, json-equals, max-latency, retries, retry-delay, timeout',
      'checks[0].url: must be an http:// or https:// URL, got ftp:',
      'checks[0].expect-status: "7xx" is not an HTTP status (100-599) or class (1xx-5xx)',
      'checks[0].expect-status: "abc" is not an HTTP status (100-599) or class (1xx-5xx)',
      'checks[0].max-latency: expected a duration such as 90s, 5m or 1h30m, got "soon"',
      'checks[0].retries: must be a whole number from 0 to 20, got "many"',
      "checks[1].service: 'Web_1' is not a Service name (a DNS-1035 label: lowercase letters, digits, '-')",
      "checks[1].service: expected name:port, a port number (1-65535) or a port name of the Service, got 'Web_1'",
      "checks[1].namespace: 'Not_A_NS' is not a Kubernetes namespace name",
      "checks[1].scheme: must be http or https, got 'gopher'",
      'checks[1].path: must start with a single / and hold no spaces (e.g. /healthz), got "healthz"',
      'checks[2].service: a check has a url or a service, not both',
      "checks[3].method: 'TRACE' is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
      "checks[3].secret-headers: 'X-Missing' is not one of this check's headers",
      'checks[3].json-path: a check has body-matches or json-path, not both',
      'checks[4].json-path: "status" is not a JSONPath query: it starts with $ (e.g. $.status)',
      'checks[5]: must be a mapping (name, url or service, expect-status...)',
      "checks[6].service: expected name:port, a port number (1-65535) or a port name of the Service, got 'web:99999'",
      'checks[6].headers.bad header: is not an HTTP header name',
    ]);
  });

  it('refuses duplicate names, credentials in a URL, a body on GET, a bad regex, json-equals alone, control characters', () => {
    const { problems } = parse(`
- name: a
  url: https://example.com/
- name: a
  url: https://example.com/x
- name: b
  url: https://user:pw@example.com/
- name: c
  url: https://example.com/
  body: hello
- name: d
  url: https://example.com/
  body-matches: '(unclosed'
- name: e
  url: https://example.com/
  json-equals: ok
- name: "f\\n::warning::x"
  url: https://example.com/
`);
    expect(problems).toEqual([
      "checks[1].name: 'a' is also the name of checks[0]; names must be unique",
      'checks[2].url: must not hold credentials; send them in a header listed in secret-headers',
      'checks[3].body: a GET request has no body; use POST, PUT or PATCH',
      expect.stringMatching(/^checks\[4\]\.body-matches: is not a regular expression: /),
      'checks[5].json-equals: needs json-path (the value to compare)',
      'checks[6].name: must be one line without control characters; found U+000A',
    ]);
  });

  it('refuses a JSONPath that RFC 9535 does not allow, and YAML that is not a list of checks', () => {
    expect(parse('- url: https://example.com/\n  json-path: $.a[\n').problems).toEqual([
      expect.stringMatching(/^checks\[0\]\.json-path: "\$\.a\[" is not a JSONPath query \(RFC 9535\): /),
    ]);
    expect(parse('url: https://example.com/').problems).toEqual(['checks: must be a YAML list of checks (`- name: health` ...)']);
    expect(parse('[]').problems).toEqual(['checks: lists no checks']);
    expect(parse('- url: [a\n').problems).toEqual([expect.stringMatching(/^checks: is not valid YAML/)]);
    expect(parse('').problems).toEqual([]);
  });

  it('always treats Authorization, Proxy-Authorization, Cookie and X-Api-Key as secret', () => {
    const { checks } = parse(`
- url: https://example.com/
  headers: { authorization: a1b2c3d4, Proxy-Authorization: p1p2p3p4, COOKIE: c=1234, X-API-KEY: k1k2k3k4, X-Other: plain }
`);
    expect(checks[0]?.secretHeaders).toEqual(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);
  });
});

describe('parseUrlCheck', () => {
  it('is one GET expecting a 2xx, with the defaults', () => {
    const problems = new InputProblems();
    expect(parseUrlCheck('http://127.0.0.1:8080/healthz', { input: 'url', problems })).toMatchObject({
      name: 'url',
      target: { kind: 'url', url: 'http://127.0.0.1:8080/healthz' },
      method: 'GET',
      expectStatus: [{ kind: 'class', hundreds: 2 }],
      retries: 2,
      timeoutMs: 10_000,
    });
    expect(problems.list).toEqual([]);
  });

  it('names the url input when the URL is not http(s)', () => {
    const problems = new InputProblems();
    expect(parseUrlCheck('file:///etc/passwd', { input: 'url', problems })).toBeUndefined();
    expect(problems.list).toEqual([{ input: 'url', message: 'must be an http:// or https:// URL, got file:' }]);
  });
});
