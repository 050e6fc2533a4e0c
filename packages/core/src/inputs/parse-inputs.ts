import { InputError } from '../errors/index.ts';
import { camelCase, type InputSpec, type InputValues } from './input-spec.ts';

/** Reads one raw input as the host has it; `undefined` or blank means not given. */
export type RawInputReader = (name: string) => string | undefined;

/**
 * The one strict input parser every host uses. Unknown forms are errors that name the input and the
 * accepted form; defaults from the spec are applied here so every host behaves the same.
 */
export function parseInputs<S extends readonly InputSpec[]>(specs: S, read: RawInputReader): InputValues<S> {
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    const raw = read(spec.name);
    const given = raw !== undefined && raw.trim() !== '' ? raw : spec.default;
    if (given === undefined || given.trim() === '') {
      if (spec.required) {
        throw new InputError(spec.name, 'is required', { hint: describeForm(spec) });
      }
      values[camelCase(spec.name)] = emptyValue(spec);
      continue;
    }
    values[camelCase(spec.name)] = parseValue(spec, given);
  }
  return values as InputValues<S>;
}

function emptyValue(spec: InputSpec): unknown {
  switch (spec.type) {
    case 'list':
    case 'lines':
      return [];
    case 'map':
      return {};
    case 'boolean':
      return false;
    default:
      return undefined;
  }
}

/** Parses one input value by its spec; exported for the CLI, which validates flags the same way. */
export function parseValue(spec: InputSpec, raw: string): unknown {
  switch (spec.type) {
    case 'string':
      return raw.trim();
    case 'multiline':
      return raw;
    case 'boolean':
      return parseBoolean(spec, raw);
    case 'integer':
      return parseInteger(spec, raw);
    case 'duration':
      return parseDuration(spec.name, raw);
    case 'enum':
      return parseEnum(spec, raw);
    case 'list':
      return splitItems(raw, /[\n,]/);
    case 'lines':
      return splitItems(raw, /\n/);
    case 'map':
      return parseMap(spec, raw);
  }
}

function parseBoolean(spec: InputSpec, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InputError(spec.name, `expected true or false, got ${JSON.stringify(raw.trim())}`);
}

function parseInteger(spec: InputSpec, raw: string): number {
  const text = raw.trim();
  if (!/^-?\d+$/.test(text)) throw new InputError(spec.name, `expected a whole number, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (spec.min !== undefined && value < spec.min) throw new InputError(spec.name, `must be at least ${spec.min}, got ${value}`);
  if (spec.max !== undefined && value > spec.max) throw new InputError(spec.name, `must be at most ${spec.max}, got ${value}`);
  return value;
}

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `90` (seconds), `90s`, `5m`, `1h30m`, `250ms` -> milliseconds. */
export function parseDuration(input: string, raw: string): number {
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const part = /(\d+)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    total += Number(match[1]) * (durationUnits[match[2] ?? 's'] ?? 1_000);
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new InputError(input, `expected a duration such as 90s, 5m or 1h30m, got ${JSON.stringify(text)}`);
  }
  return total;
}

function parseEnum(spec: InputSpec, raw: string): string {
  const value = raw.trim();
  const allowed = spec.allowed ?? [];
  if (!allowed.includes(value)) {
    throw new InputError(spec.name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function splitItems(raw: string, separator: RegExp): string[] {
  return raw
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '' && !item.startsWith('#'));
}

function parseMap(spec: InputSpec, raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of splitItems(raw, /\n/)) {
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!/^[A-Za-z_][\w.-]*$/.test(key)) {
      throw new InputError(spec.name, `expected KEY=VALUE on each line, got ${JSON.stringify(line)}`, {
        hint: spec.example ? `for example: ${spec.example}` : undefined,
      });
    }
    if (Object.hasOwn(out, key)) throw new InputError(spec.name, `key '${key}' is given twice`);
    out[key] = line.slice(eq + 1);
  }
  return out;
}

function describeForm(spec: InputSpec): string {
  const example = spec.example ? `, for example ${spec.example}` : '';
  return `${spec.description}${example}`;
}
