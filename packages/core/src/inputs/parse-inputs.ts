import { InputError } from '../errors/index.ts';
import { InputProblems } from './input-problems.ts';
import { camelCase, type InputSpec, type InputValues } from './input-spec.ts';

/** Reads one raw input as the host has it; `undefined` or blank means not given. */
export type RawInputReader = (name: string) => string | undefined;

/**
 * The one strict input parser every host uses. Unknown forms are problems that name the input and the
 * accepted form; defaults from the spec are applied here so every host behaves the same.
 *
 * Every input is parsed even after one fails: each problem goes to `problems`, and an input that failed
 * gets its default, or its empty value (undefined, [], {} or false) when it has none, so validators can
 * go on checking the others (they skip an input with `problems.has`). Without `problems`, the parser
 * throws one InvalidInputsError listing them all.
 */
export function parseInputs<S extends readonly InputSpec[]>(specs: S, read: RawInputReader, problems?: InputProblems): InputValues<S> {
  const collected = problems ?? new InputProblems();
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    const key = camelCase(spec.name);
    values[key] = fallbackValue(spec);
    const raw = read(spec.name);
    // Blank is "not given" in every host: GitHub passes '' for an input the workflow does not set.
    const given = raw !== undefined && raw.trim() !== '' ? raw : spec.default;
    if (given === undefined || given.trim() === '') {
      if (spec.required) collected.add(spec.name, 'is required', describeForm(spec));
      continue;
    }
    const parsed = collected.check(() => parseValue(spec, given));
    if (parsed !== undefined) values[key] = parsed;
  }
  if (!problems) collected.throwIfAny();
  return values as InputValues<S>;
}

/** What an input holds when it is not given or failed: its default, so the typed values stay true. */
function fallbackValue(spec: InputSpec): unknown {
  if (spec.default !== undefined && spec.default.trim() !== '') {
    try {
      return parseValue(spec, spec.default);
    } catch {
      // A default that does not parse is a bug in the spec; test/unit/inputs parses every step's defaults.
    }
  }
  return emptyValue(spec);
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

/**
 * Parses one input value by its spec, or throws an InputError naming it; exported for the CLI, which
 * validates flags the same way.
 */
export function parseValue(spec: InputSpec, raw: string): unknown {
  if (raw.includes('\0')) throw new InputError(spec.name, 'contains a NUL byte');
  switch (spec.type) {
    case 'string':
      return singleLine(spec, raw.trim());
    case 'multiline':
      return raw;
    case 'boolean':
      return parseBoolean(spec, singleLine(spec, raw.trim()));
    case 'integer':
      return parseInteger(spec, singleLine(spec, raw.trim()));
    case 'duration':
      return parseDuration(spec.name, singleLine(spec, raw.trim()), { max: spec.max });
    case 'enum':
      return parseAllowed(spec, singleLine(spec, raw.trim()));
    case 'list':
      return splitItems(raw, /[\n,]/).map((item, index) => parseAllowed(spec, singleLine(spec, item, index)));
    case 'lines':
      return splitItems(raw, /\n/).map((item, index) => singleLine(spec, item, index));
    case 'map':
      return parseMap(spec, raw);
  }
}

/**
 * The first control character (C0, DEL, C1, or a Unicode line or paragraph separator) in `value`, as
 * `U+000A`; undefined when there is none. Shared with validators that read values out of YAML and JSON
 * documents, where escapes such as "\n" and "\0" produce these characters after parsing.
 */
export function findControlCharacter(value: string): string | undefined {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) {
      return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    }
  }
  return undefined;
}

/** One-line values reach argv, URLs and file names, where a line break or escape changes their meaning. */
function singleLine(spec: InputSpec, value: string, item?: number): string {
  const control = findControlCharacter(value);
  if (control === undefined) return value;
  const where = item === undefined ? '' : ` (item ${item + 1})`;
  // A secret is never quoted, not even in part.
  const quoted = spec.secret ? '' : `: ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  throw new InputError(spec.name, `must be a single line without control characters; found ${control}${where}${quoted}`, {
    hint: spec.type === 'string' || spec.type === 'enum' ? 'give the value on one line' : 'give one item per line',
  });
}

function parseBoolean(spec: InputSpec, text: string): boolean {
  const value = text.toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InputError(spec.name, `expected true or false, got ${quote(spec, text)}`);
}

function parseInteger(spec: InputSpec, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new InputError(spec.name, `expected a whole number, got ${quote(spec, text)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new InputError(spec.name, `${text} is too large`);
  if (spec.min !== undefined && value < spec.min) throw new InputError(spec.name, `must be at least ${spec.min}, got ${value}`);
  if (spec.max !== undefined && value > spec.max) throw new InputError(spec.name, `must be at most ${spec.max}, got ${value}`);
  return value;
}

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** The longest duration an input accepts unless its spec says otherwise: a week outlasts any CI job. */
export const defaultMaxDurationMs = 7 * 24 * 3_600_000;

/**
 * `90` (seconds), `90s`, `5m`, `1h30m`, `250ms` -> milliseconds, at most `limits.max` (default 7 days):
 * without a cap, `99999999999999999999h` would reach a tool as `3.6e+23s`.
 */
export function parseDuration(input: string, raw: string, limits: { max?: number | undefined } = {}): number {
  const text = raw.trim();
  const max = limits.max ?? defaultMaxDurationMs;
  let total = 0;
  if (/^\d+$/.test(text)) {
    total = Number(text) * 1_000;
  } else {
    const part = /(\d+)(ms|s|m|h)/gy;
    let consumed = 0;
    for (let match = part.exec(text); match; match = part.exec(text)) {
      total += Number(match[1]) * (durationUnits[match[2] ?? 's'] ?? 1_000);
      consumed = part.lastIndex;
    }
    if (consumed === 0 || consumed !== text.length) {
      throw new InputError(input, `expected a duration such as 90s, 5m or 1h30m, got ${JSON.stringify(text)}`);
    }
  }
  if (!Number.isSafeInteger(total) || total > max) {
    throw new InputError(input, `${text} is longer than the limit of ${formatDuration(max)}`);
  }
  return total;
}

/** `604800000` -> `168h`; whole hours, minutes or seconds when exact. */
function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/** An enum value, or a list item of an input with `allowed`: matched ignoring case, returned as the spec spells it. */
function parseAllowed(spec: InputSpec, value: string): string {
  if (!spec.allowed) return value;
  const match = spec.allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (match === undefined) {
    const expected = spec.type === 'enum' ? `one of ${spec.allowed.join(', ')}` : `any of ${spec.allowed.join(', ')}`;
    throw new InputError(spec.name, `expected ${expected}, got ${quote(spec, value)}`);
  }
  return match;
}

function splitItems(raw: string, separator: RegExp): string[] {
  return raw
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '' && !item.startsWith('#'));
}

/**
 * Why `key` cannot be a build-arg, label or other map key, or undefined when it can. Shared by the `map`
 * inputs and the maps of YAML documents (build `images`), so both refuse the same keys: a key that is not
 * a plain name could become an option of the tool it is passed to (`--build-arg --evil=y`), and
 * `__proto__` would silently vanish into the prototype of a plain object.
 */
export function checkMapKey(key: string): string | undefined {
  if (key === '__proto__') return "the key '__proto__' is not allowed";
  if (!/^[A-Za-z_][\w.-]*$/.test(key)) return `${JSON.stringify(key)} is not a valid key (letters, digits, _ . -, not starting with a digit, . or -)`;
  return undefined;
}

function parseMap(spec: InputSpec, raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  const hint = spec.example ? `for example: ${spec.example}` : undefined;
  for (const [index, line] of splitItems(raw, /\n/).entries()) {
    singleLine(spec, line, index);
    const eq = line.indexOf('=');
    if (eq <= 0) {
      // The line is quoted only when the spec is not secret: it may be the value itself.
      throw new InputError(spec.name, `expected KEY=VALUE on each line, got ${quote(spec, line)}`, { hint });
    }
    const key = line.slice(0, eq).trim();
    const refused = checkMapKey(key);
    if (refused) throw new InputError(spec.name, `line ${index + 1}: ${refused}`, { hint });
    if (Object.hasOwn(out, key)) throw new InputError(spec.name, `key '${key}' is given twice`);
    out[key] = line.slice(eq + 1);
  }
  return out;
}

function quote(spec: InputSpec, value: string): string {
  return spec.secret ? 'a value that is not shown (secret)' : JSON.stringify(value);
}

function describeForm(spec: InputSpec): string {
  const example = spec.example ? `, for example ${spec.example}` : '';
  return `${spec.description}${example}`;
}
