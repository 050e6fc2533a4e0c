import { query } from 'jsonpath-rfc9535';
import parseJsonPath from 'jsonpath-rfc9535/parser';

/**
 * JSONPath as RFC 9535 defines it (`$.status`, `$.checks[?@.name=='db'].state`), through
 * jsonpath-rfc9535: no eval, no dependencies, and it passes the JSONPath compliance suite, where the
 * older "JSONPath" libraries each read the same expression their own way.
 */

/** Why `expression` is not a JSONPath query, or undefined when it is one. */
export function jsonPathProblem(expression: string): string | undefined {
  if (!expression.startsWith('$')) return `${JSON.stringify(expression)} is not a JSONPath query: it starts with $ (e.g. $.status)`;
  try {
    parseJsonPath(expression);
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return `${JSON.stringify(expression)} is not a JSONPath query (RFC 9535): ${reason}`;
  }
}

/** The values `expression` selects in `document` (an already-validated expression). */
export function selectJsonPath(document: unknown, expression: string): unknown[] {
  return query(document as Parameters<typeof query>[0], expression);
}

/**
 * Whether a selected value equals what `json-equals` says. The expected text is read as JSON when it
 * is JSON (`true`, `3`, `null`, `{"a":1}`), as a string otherwise (`ok`); a selected string also
 * equals the text as written, so `json-equals: 3` accepts `"3"` as well as `3`.
 */
export function jsonValueEquals(actual: unknown, expected: string): boolean {
  if (typeof actual === 'string' && actual === expected) return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse(expected);
  } catch {
    return false;
  }
  return deepEqual(actual, parsed);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  return (
    aKeys.length === Object.keys(b).length && aKeys.every((key) => Object.hasOwn(bRecord, key) && deepEqual((a as Record<string, unknown>)[key], bRecord[key]))
  );
}
