import { jsonValueEquals, selectJsonPath } from './json-path.ts';
import type { SmokeCheck } from './smoke-check.ts';
import { formatStatusExpectation, statusMatches } from './status-expectation.ts';

/** What one attempt got back. */
export interface SmokeResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
  /** From sending the request to the end of the body. */
  latencyMs: number;
}

/** The most of a response body, or of a value from it, that a failure quotes. */
export const maxQuotedLength = 200;

/**
 * Everything wrong with a response, as the check sees it: the status, the body (regex or JSON path),
 * the latency. Empty when the check passes. A redirect is a status like any other: the Location is
 * named, never followed.
 */
export function evaluateSmokeResponse(check: SmokeCheck, response: SmokeResponse): string[] {
  const failures: string[] = [];
  if (!statusMatches(response.status, check.expectStatus)) {
    const location = headerValue(response.headers, 'location');
    const detail = response.status >= 300 && response.status < 400 && location ? ` (redirect to ${quote(location)}, not followed)` : bodyNote(response.body);
    failures.push(`status ${response.status} not in ${formatStatusExpectation(check.expectStatus)}${detail}`);
  }
  const expectation = check.expectBody;
  if (expectation?.kind === 'regex' && !expectation.regex.test(response.body.toString('utf8'))) {
    failures.push(`body did not match /${expectation.source}/${bodyNote(response.body)}`);
  }
  if (expectation?.kind === 'json-path') failures.push(...evaluateJsonPath(expectation.path, expectation.equals, response.body));
  if (check.maxLatencyMs !== undefined && response.latencyMs > check.maxLatencyMs) {
    failures.push(`${Math.round(response.latencyMs)} ms > ${check.maxLatencyMs} ms`);
  }
  return failures;
}

function evaluateJsonPath(path: string, equals: string | undefined, body: Buffer): string[] {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    return [`body is not JSON, so ${path} cannot be read${bodyNote(body)}`];
  }
  const values = selectJsonPath(document, path);
  if (values.length === 0) return [`${path} matched nothing`];
  if (equals === undefined) return [];
  const wrong = values.find((value) => !jsonValueEquals(value, equals));
  if (wrong === undefined) return [];
  const which = values.length > 1 ? ` (one of ${values.length} values)` : '';
  return [`${path} was ${quote(JSON.stringify(wrong) ?? String(wrong))}${which} not ${quote(JSON.stringify(expectedValue(equals)))}`];
}

/** The expected value as it compares (JSON when it is JSON), for the message. */
function expectedValue(equals: string): unknown {
  try {
    return JSON.parse(equals);
  } catch {
    return equals;
  }
}

function headerValue(headers: SmokeResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `: <the start of the body>`, or nothing for an empty body. */
function bodyNote(body: Buffer): string {
  const text = body.toString('utf8').trim();
  return text ? `: ${quote(text)}` : '';
}

/** At most {@link maxQuotedLength} characters on one line: a body can be megabytes, and hold line breaks. */
export function quote(text: string): string {
  // Escapes and invisible characters in a body could restyle or hide part of a log line.
  const oneLine = text.replace(/\s+/g, ' ').replace(/[\p{Cc}\p{Cf}]/gu, '\uFFFD');
  return oneLine.length > maxQuotedLength ? `${oneLine.slice(0, maxQuotedLength)}…` : oneLine;
}
