import type { InputProblems } from '../inputs/input-problems.ts';
import { findControlCharacter, parseDuration } from '../inputs/parse-inputs.ts';
import { parseYamlStrings, type YamlMapping, type YamlValue } from '../inputs/yaml-document.ts';
import { jsonPathProblem } from './json-path.ts';
import { alwaysSecretHeaders, type BodyExpectation, type SmokeCheck, type SmokeTarget, type StatusExpectation } from './smoke-check.ts';
import { defaultStatusExpectation, parseStatusExpectation } from './status-expectation.ts';

/** The defaults of a check's optional fields, as the step documents them. */
export const smokeCheckDefaults = { method: 'GET', retries: 2, retryDelayMs: 1_000, timeoutMs: 10_000 } as const;

const knownKeys = [
  'name',
  'url',
  'service',
  'namespace',
  'path',
  'scheme',
  'method',
  'headers',
  'secret-headers',
  'body',
  'expect-status',
  'body-matches',
  'json-path',
  'json-equals',
  'max-latency',
  'retries',
  'retry-delay',
  'timeout',
] as const;

const serviceOnlyKeys = ['namespace', 'path', 'scheme'] as const;

// CONNECT and TRACE are not for checking a service: a proxy tunnel and an echo of the request (headers included).
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const maxRetries = 20;
const maxNameLength = 100;
// RFC 9110 token: what a header name may be.
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Service names are DNS-1035 labels; namespaces DNS-1123 labels.
const serviceNamePattern = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const namespacePattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// IANA_SVC_NAME, what a Service port's name must be: at most 15, lowercase, a letter somewhere, no `--`.
const portNamePattern = /^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;

export interface ParseSmokeChecksOptions {
  /** The input the text came from, which every problem names (`checks[2].url`). */
  input: string;
  problems: InputProblems;
}

/**
 * Parses the `checks` YAML: a list of checks, each a mapping. Every problem is recorded in `problems`
 * (naming `checks[i].field`, unknown fields included) rather than stopping at the first; the checks
 * that parsed are returned, and are only to be used when `problems` stayed empty.
 */
export function parseSmokeChecks(text: string, options: ParseSmokeChecksOptions): SmokeCheck[] {
  const { input, problems } = options;
  const parsed = parseYamlStrings(text);
  if ('error' in parsed) {
    problems.add(input, parsed.error);
    return [];
  }
  if (parsed.value === undefined) return [];
  if (!Array.isArray(parsed.value)) {
    problems.add(input, 'must be a YAML list of checks (`- name: health` ...)', 'start each check with `- `');
    return [];
  }
  const items = parsed.value as readonly YamlValue[];
  if (items.length === 0) problems.add(input, 'lists no checks');
  const checks: SmokeCheck[] = [];
  const names = new Map<string, number>();
  items.forEach((item, index) => {
    const where = `${input}[${index}]`;
    if (!(item instanceof Map)) {
      problems.add(where, 'must be a mapping (name, url or service, expect-status...)');
      return;
    }
    const check = parseCheck(item as YamlMapping, where, index, problems);
    if (!check) return;
    const earlier = names.get(check.name);
    if (earlier !== undefined) problems.add(`${where}.name`, `'${check.name}' is also the name of ${input}[${earlier}]; names must be unique`);
    else names.set(check.name, index);
    checks.push(check);
  });
  return checks;
}

/** The `url` input's shorthand: one GET of `url` expecting a 2xx, with the defaults. */
export function parseUrlCheck(url: string, options: ParseSmokeChecksOptions): SmokeCheck | undefined {
  const problem = urlProblem(url);
  if (problem) {
    options.problems.add(options.input, problem);
    return undefined;
  }
  return {
    name: 'url',
    target: { kind: 'url', url },
    method: smokeCheckDefaults.method,
    headers: {},
    secretHeaders: [],
    body: undefined,
    expectStatus: defaultStatusExpectation,
    expectBody: undefined,
    maxLatencyMs: undefined,
    retries: smokeCheckDefaults.retries,
    retryDelayMs: smokeCheckDefaults.retryDelayMs,
    timeoutMs: smokeCheckDefaults.timeoutMs,
  };
}

/** Reads one check, recording each of its problems; undefined when any field is wrong. */
function parseCheck(item: YamlMapping, where: string, index: number, problems: InputProblems): SmokeCheck | undefined {
  const before = problems.count;
  const field = (key: string) => `${where}.${key}`;
  for (const key of item.keys()) {
    if (!(knownKeys as readonly string[]).includes(key)) {
      problems.add(field(key), `is not a check field; the fields are ${knownKeys.join(', ')}`);
    }
  }
  const scalar = (key: (typeof knownKeys)[number]): string | undefined => {
    const value = item.get(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      problems.add(field(key), 'must be a single value, not a list or mapping');
      return undefined;
    }
    return value;
  };
  const line = (key: (typeof knownKeys)[number]): string | undefined => {
    const value = scalar(key)?.trim();
    if (value === undefined) return undefined;
    const control = findControlCharacter(value);
    if (control) {
      problems.add(field(key), `must be one line without control characters; found ${control}`);
      return undefined;
    }
    return value;
  };
  const duration = (key: 'max-latency' | 'retry-delay' | 'timeout', max: number): number | undefined => {
    const text = line(key);
    return text === undefined ? undefined : problems.check(() => parseDuration(field(key), text, { max }));
  };

  const target = parseTarget(item, field, line, problems);
  const explicitName = line('name');
  if (explicitName !== undefined && (explicitName === '' || explicitName.length > maxNameLength)) {
    problems.add(field('name'), `must be 1 to ${maxNameLength} characters`);
  }

  const methodText = line('method');
  const method = methodText === undefined ? smokeCheckDefaults.method : methodText.toUpperCase();
  if (!(methods as readonly string[]).includes(method)) problems.add(field('method'), `'${methodText}' is not one of ${methods.join(', ')}`);

  const headers = parseHeaders(item.get('headers'), field('headers'), problems);
  const secretHeaders = parseSecretHeaders(item.get('secret-headers'), headers, field('secret-headers'), problems);

  const body = scalar('body');
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) problems.add(field('body'), `a ${method} request has no body; use POST, PUT or PATCH`);

  const expectStatus = parseExpectStatus(item.get('expect-status'), field('expect-status'), problems);
  const expectBody = parseBodyExpectation(line('body-matches'), line('json-path'), scalar('json-equals'), field, problems);

  const maxLatencyMs = duration('max-latency', 600_000);
  const retryDelayMs = duration('retry-delay', 300_000) ?? smokeCheckDefaults.retryDelayMs;
  const timeoutMs = duration('timeout', 600_000) ?? smokeCheckDefaults.timeoutMs;
  if (timeoutMs === 0) problems.add(field('timeout'), 'must be more than 0');
  const retriesText = line('retries');
  let retries: number = smokeCheckDefaults.retries;
  if (retriesText !== undefined) {
    if (/^\d+$/.test(retriesText) && Number(retriesText) <= maxRetries) retries = Number(retriesText);
    else problems.add(field('retries'), `must be a whole number from 0 to ${maxRetries}, got ${JSON.stringify(retriesText)}`);
  }

  if (problems.count !== before || !target) return undefined;
  return {
    name: explicitName ?? `check ${index + 1}`,
    target,
    method,
    headers,
    secretHeaders,
    body,
    expectStatus: expectStatus ?? defaultStatusExpectation,
    expectBody,
    maxLatencyMs,
    retries,
    retryDelayMs,
    timeoutMs,
  };
}

function parseTarget(
  item: YamlMapping,
  field: (key: string) => string,
  line: (key: (typeof knownKeys)[number]) => string | undefined,
  problems: InputProblems,
): SmokeTarget | undefined {
  const url = line('url');
  const service = line('service');
  if (url !== undefined && service !== undefined) {
    problems.add(field('service'), 'a check has a url or a service, not both');
    return undefined;
  }
  if (url !== undefined) {
    for (const key of serviceOnlyKeys) if (item.has(key)) problems.add(field(key), 'is for a service target; put it in the url');
    const problem = urlProblem(url);
    if (problem) problems.add(field('url'), problem);
    return problem ? undefined : { kind: 'url', url };
  }
  if (service === undefined) {
    problems.add(field('url'), 'a check needs a url (http:// or https://) or a service (name:port)');
    return undefined;
  }
  const before = problems.count;
  const colon = service.lastIndexOf(':');
  const name = colon > 0 ? service.slice(0, colon) : service;
  const port = colon > 0 ? service.slice(colon + 1) : '';
  if (!serviceNamePattern.test(name)) problems.add(field('service'), `'${name}' is not a Service name (a DNS-1035 label: lowercase letters, digits, '-')`);
  if (colon <= 0 || !portProblemFree(port)) {
    problems.add(field('service'), `expected name:port, a port number (1-65535) or a port name of the Service, got '${service}'`);
  }
  const namespace = line('namespace');
  if (namespace !== undefined && !namespacePattern.test(namespace)) problems.add(field('namespace'), `'${namespace}' is not a Kubernetes namespace name`);
  const schemeText = line('scheme');
  const scheme = schemeText?.toLowerCase() ?? 'http';
  if (scheme !== 'http' && scheme !== 'https') problems.add(field('scheme'), `must be http or https, got '${schemeText}'`);
  const pathText = line('path') ?? '/';
  if (!pathText.startsWith('/') || pathText.startsWith('//') || /\s/.test(pathText)) {
    problems.add(field('path'), `must start with a single / and hold no spaces (e.g. /healthz), got ${JSON.stringify(pathText)}`);
  }
  if (problems.count !== before) return undefined;
  return { kind: 'service', name, port, namespace, scheme: scheme as 'http' | 'https', path: pathText };
}

function portProblemFree(port: string): boolean {
  if (/^\d+$/.test(port)) return Number(port) >= 1 && Number(port) <= 65_535;
  return portNamePattern.test(port);
}

/** Why `url` cannot be checked, or undefined. */
function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must be an http:// or https:// URL, got ${parsed.protocol}`;
  // A password in the URL would be printed with the URL in every log line and in the summary.
  if (parsed.username || parsed.password) return 'must not hold credentials; send them in a header listed in secret-headers';
  return undefined;
}

function parseHeaders(value: YamlValue | undefined, where: string, problems: InputProblems): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value === undefined) return headers;
  if (!(value instanceof Map)) {
    problems.add(where, 'must be a mapping of header names to values');
    return headers;
  }
  const seen = new Set<string>();
  for (const [name, headerValue] of value as YamlMapping) {
    if (!headerNamePattern.test(name)) {
      problems.add(`${where}.${name}`, 'is not an HTTP header name');
      continue;
    }
    if (seen.has(name.toLowerCase())) problems.add(`${where}.${name}`, 'is given twice (header names ignore case)');
    seen.add(name.toLowerCase());
    // A secret value is never quoted in a problem, and a header value with a line break could add headers.
    if (typeof headerValue !== 'string') problems.add(`${where}.${name}`, 'must be a single value');
    else if (/[\r\n\0]/.test(headerValue)) problems.add(`${where}.${name}`, 'must be one line');
    else headers[name] = headerValue.trim();
  }
  return headers;
}

function parseSecretHeaders(value: YamlValue | undefined, headers: Record<string, string>, where: string, problems: InputProblems): string[] {
  const given = value === undefined ? [] : typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!given || given.some((entry) => typeof entry !== 'string')) {
    problems.add(where, 'must be a list of header names');
    return [];
  }
  const present = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  const secret = new Set<string>(alwaysSecretHeaders.filter((name) => present.has(name)));
  for (const entry of given as string[]) {
    const name = entry.trim().toLowerCase();
    if (!name) continue;
    if (!present.has(name)) problems.add(where, `'${entry.trim()}' is not one of this check's headers`);
    else secret.add(name);
  }
  return [...secret];
}

function parseExpectStatus(value: YamlValue | undefined, where: string, problems: InputProblems): StatusExpectation[] | undefined {
  if (value === undefined) return undefined;
  const entries = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!entries || entries.some((entry) => typeof entry !== 'string')) {
    problems.add(where, 'must be a status (200), a class (2xx) or a list of them');
    return undefined;
  }
  const expected: StatusExpectation[] = [];
  for (const entry of entries as string[]) {
    const parsed = parseStatusExpectation(entry);
    if ('error' in parsed) problems.add(where, parsed.error);
    else expected.push(parsed);
  }
  if (expected.length === 0 && !problems.has(where)) problems.add(where, 'lists no status');
  return expected;
}

function parseBodyExpectation(
  bodyMatches: string | undefined,
  jsonPath: string | undefined,
  jsonEquals: string | undefined,
  field: (key: string) => string,
  problems: InputProblems,
): BodyExpectation | undefined {
  if (bodyMatches !== undefined && jsonPath !== undefined) {
    problems.add(field('json-path'), 'a check has body-matches or json-path, not both');
    return undefined;
  }
  if (jsonEquals !== undefined && jsonPath === undefined) problems.add(field('json-equals'), 'needs json-path (the value to compare)');
  if (bodyMatches !== undefined) {
    try {
      return { kind: 'regex', source: bodyMatches, regex: new RegExp(bodyMatches, 'u') };
    } catch (error) {
      problems.add(field('body-matches'), `is not a regular expression: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }
  if (jsonPath === undefined) return undefined;
  const problem = jsonPathProblem(jsonPath);
  if (problem) {
    problems.add(field('json-path'), problem);
    return undefined;
  }
  return { kind: 'json-path', path: jsonPath, equals: jsonEquals };
}
