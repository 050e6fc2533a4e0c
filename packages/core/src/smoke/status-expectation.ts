import type { StatusExpectation } from './smoke-check.ts';

/** What a check expects when it says nothing: any 2xx. */
export const defaultStatusExpectation: readonly StatusExpectation[] = [{ kind: 'class', hundreds: 2 }];

/** `200` or `2xx` (`2XX`), or the reason it is neither. */
export function parseStatusExpectation(text: string): StatusExpectation | { error: string } {
  const trimmed = text.trim();
  const classMatch = /^([1-5])xx$/i.exec(trimmed);
  if (classMatch) return { kind: 'class', hundreds: Number(classMatch[1]) };
  if (/^[1-5]\d\d$/.test(trimmed)) return { kind: 'code', code: Number(trimmed) };
  return { error: `${JSON.stringify(trimmed)} is not an HTTP status (100-599) or class (1xx-5xx)` };
}

export function statusMatches(status: number, expected: readonly StatusExpectation[]): boolean {
  return expected.some((entry) => (entry.kind === 'code' ? entry.code === status : Math.floor(status / 100) === entry.hundreds));
}

/** `2xx`, `200, 204`: as a failure message names them. */
export function formatStatusExpectation(expected: readonly StatusExpectation[]): string {
  return expected.map((entry) => (entry.kind === 'code' ? String(entry.code) : `${entry.hundreds}xx`)).join(', ');
}
