import path from 'node:path';
import type { InputSpec, StepSpec } from '@slipway/core';

/**
 * The bad-input corpus (issue #9): for every input of every step, values that a careless or hostile
 * workflow could hand over, generated from the input's spec (type, allowed, required, secret) so that a
 * new step or input is covered without new test code. Each case is one input replaced in a base set of
 * inputs that validates.
 */
export type CaseCategory =
  | 'empty'
  | 'whitespace'
  | 'overlong'
  | 'wrong-type'
  | 'invalid-form'
  | 'shell'
  | 'path-traversal'
  | 'newline-injection'
  | 'yaml-json-injection'
  | 'non-utf8'
  | 'nul';

export interface CorpusValue {
  readonly category: CaseCategory;
  /** Short name for reports: `lone high surrogate`, `--evil=x`. */
  readonly label: string;
  readonly value: string;
  /**
   * True when the spec alone says the value is invalid (a NUL anywhere, a line break in a one-line
   * input, text for a boolean, an unknown enum value, a blank required input): the case must then end
   * with exit 2 naming the input, whatever the step does with a valid value.
   */
  readonly mustBeInvalid: boolean;
}

export interface CorpusCase extends CorpusValue {
  /** `scan/image/newline-injection#1`: unique, stable across runs. */
  readonly id: string;
  readonly step: string;
  readonly input: string;
}

/** The case's inputs: the step's base inputs with the case's input replaced (or added). */
export function caseInputs(corpusCase: CorpusCase, base: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...base, [corpusCase.input]: corpusCase.value };
}

/**
 * Where shell metacharacter cases point, so that an interpretation would leave evidence: the `touch`
 * files must never appear, and the canary must survive its `rm -rf`. (A literal `rm -rf ~` is not used:
 * if a defect ever let it through, the evidence would be a deleted home directory on a shared machine.)
 */
export interface ShellMarkers {
  /** Directory the `touch` payloads write into; it must stay empty. */
  readonly touchDir: string;
  /** Directory the `rm -rf` payload names; it must survive. */
  readonly canary: string;
}

/** 100 KiB: far past any name, tag, path or URL a tool accepts, small enough to pass through env and argv. */
export const overlongLength = 100 * 1024;

/** Values every input gets, whatever its type. */
function commonValues(markers: ShellMarkers): CorpusValue[] {
  const touch = (name: string) => path.join(markers.touchDir, name);
  const any = (category: CaseCategory, label: string, value: string): CorpusValue => ({ category, label, value, mustBeInvalid: false });
  return [
    any('overlong', '100 KiB of a', 'a'.repeat(overlongLength)),
    any('shell', '$(touch …)', `$(touch ${touch('dollar-paren')})`),
    any('shell', '; rm -rf …', `x; rm -rf ${markers.canary}`),
    any('shell', 'backticks', `\`touch ${touch('backticks')}\``),
    any('shell', '| touch …', `x | touch ${touch('pipe')}`),
    any('shell', '&& touch …', `x && touch ${touch('and-and')}`),
    any('overlong', 'host name of 300 characters', `${'a'.repeat(300)}.example/x`),
    any('path-traversal', '../../../../etc/passwd', '../../../../etc/passwd'),
    any('path-traversal', '12 levels up to /etc/passwd', `${'../'.repeat(12)}etc/passwd`),
    any('path-traversal', '/etc/passwd/x', '/etc/passwd/x'),
    any('yaml-json-injection', 'JSON object', '{"a":1}'),
    any('yaml-json-injection', 'YAML list with a boolean tag', '- name: x\n  tags: [true]'),
    any('yaml-json-injection', '!!js/function', '!!js/function "function () { return process.exit(9) }"'),
    any('yaml-json-injection', 'self-referencing anchor', '&a [*a]'),
    any('yaml-json-injection', 'unterminated flow', '[1, {"a": '),
    // What Node makes of bytes that are not UTF-8 (U+FFFD), and UTF-16 halves no encoder would produce.
    any('non-utf8', 'bytes ff fe as decoded', `${Buffer.from([0xff, 0xfe, 0x41]).toString('utf8')}`),
    any('non-utf8', 'lone high surrogate', 'a\uD800b'),
    any('non-utf8', 'lone low surrogate', 'a\uDC00b'),
  ];
}

/** The two log-command injections of issue #9; a line break is invalid in every one-line input. */
const newlineInjections = ['hi\n::set-output name=digest::pwned\n::warning::X', 'x\n##vso[task.setvariable variable=digest]pwned'];

/** Values that only make sense for the input's type: text where a number, boolean, duration or choice is expected, and malformed forms. */
function typedValues(spec: InputSpec): CorpusValue[] {
  const invalid = (category: CaseCategory, label: string, value: string): CorpusValue => ({ category, label, value, mustBeInvalid: true });
  const either = (category: CaseCategory, label: string, value: string): CorpusValue => ({ category, label, value, mustBeInvalid: false });
  switch (spec.type) {
    case 'boolean':
      return [
        invalid('wrong-type', 'yes', 'yes'),
        invalid('wrong-type', '1', '1'),
        invalid('wrong-type', 'on', 'on'),
        invalid('invalid-form', 'true false', 'true false'),
        invalid('invalid-form', 'true!', 'true!'),
        invalid('overlong', '100 KiB of t', 't'.repeat(overlongLength)),
      ];
    case 'integer':
      return [
        invalid('wrong-type', 'ten', 'ten'),
        invalid('wrong-type', 'true', 'true'),
        invalid('invalid-form', '1.5', '1.5'),
        invalid('invalid-form', '0x10', '0x10'),
        invalid('invalid-form', '1e3', '1e3'),
        invalid('invalid-form', '1 2', '1 2'),
        invalid('overlong', '100 KiB of 9', '9'.repeat(overlongLength)),
        ...(spec.min !== undefined ? [invalid('invalid-form', 'min - 1', String(spec.min - 1))] : [invalid('invalid-form', '-1', '-1')]),
        ...(spec.max !== undefined ? [invalid('invalid-form', 'max + 1', String(spec.max + 1))] : []),
      ];
    case 'duration':
      return [
        invalid('wrong-type', 'soon', 'soon'),
        invalid('wrong-type', 'true', 'true'),
        invalid('invalid-form', '5 minutes', '5 minutes'),
        invalid('invalid-form', '-5m', '-5m'),
        invalid('invalid-form', '1.5h', '1.5h'),
        invalid('invalid-form', '5d', '5d'),
        invalid('invalid-form', '99999999999999999999h', '99999999999999999999h'),
        invalid('overlong', '100 KiB of 9', '9'.repeat(overlongLength)),
        ...(spec.max !== undefined ? [invalid('invalid-form', 'max + 1 ms', `${spec.max + 1}ms`)] : [invalid('invalid-form', '8 days', '192h1s')]),
      ];
    case 'enum': {
      const [first = 'a', second = 'b'] = spec.allowed ?? [];
      return [
        invalid('wrong-type', 'not-an-option', 'not-an-option'),
        invalid('wrong-type', '42', '42'),
        invalid('invalid-form', 'two choices', `${first},${second}`),
        invalid('invalid-form', 'zero-width space', `${first}\u200b`),
      ];
    }
    case 'list':
      return spec.allowed
        ? [
            invalid('wrong-type', 'bogus', 'bogus'),
            invalid('invalid-form', 'valid then bogus', `${spec.allowed[0]},bogus`),
            either('invalid-form', 'only separators', ',,\n,'),
            either('invalid-form', 'only a comment', '# nothing'),
          ]
        : [
            either('invalid-form', 'option-like item', '--help'),
            either('invalid-form', 'only separators', ',,\n,'),
            either('invalid-form', 'only a comment', '# nothing'),
          ];
    case 'map':
      return [
        invalid('invalid-form', 'no =', 'NO_EQUALS'),
        invalid('invalid-form', 'empty key', '=value'),
        invalid('invalid-form', 'option-like key', '--evil=x'),
        invalid('invalid-form', '__proto__ key', '__proto__=x'),
        invalid('invalid-form', 'key given twice', 'A=1\nA=2'),
        invalid('invalid-form', 'key starting with a digit', '1A=x'),
      ];
    case 'lines':
      return [
        either('invalid-form', 'option-like line', '--help'),
        either('invalid-form', 'empty id', '=value'),
        either('invalid-form', 'empty value', 'id='),
        either('invalid-form', 'only a comment', '# nothing'),
      ];
    case 'string':
      return [
        either('wrong-type', 'true', 'true'),
        either('wrong-type', '0', '0'),
        either('invalid-form', 'option-like', '--help'),
        either('invalid-form', 'short option', '-x'),
      ];
    case 'multiline':
      return [
        either('invalid-form', 'empty list', '[]'),
        either('invalid-form', 'empty mapping', '{}'),
        either('invalid-form', 'two documents', '---\na: 1\n---\nb: 2'),
        either('invalid-form', 'tab-indented', '-\tname: x'),
      ];
  }
}

/**
 * `map` inputs and `lines` inputs of `id=VALUE` form (as their spec's example shows) also get each
 * payload behind a valid key, so that it reaches the value the tool would see instead of failing on
 * the missing `=`.
 */
function isKeyed(spec: InputSpec): boolean {
  return spec.type === 'map' || (spec.type === 'lines' && /^[\w.-]+=/.test(spec.example ?? ''));
}

/** Every corpus value for one input. */
export function corpusValues(spec: InputSpec, markers: ShellMarkers): CorpusValue[] {
  const oneLine = spec.type !== 'multiline';
  const values: CorpusValue[] = [
    { category: 'empty', label: 'empty', value: '', mustBeInvalid: spec.required === true && spec.default === undefined },
    ...[
      ['spaces and tabs', ' \t  \t'],
      ['line breaks', '\r\n\n'],
      ['Unicode spaces', '\u00a0\u3000\u2028'],
    ].map(([label = '', value = '']) => ({
      category: 'whitespace' as const,
      label,
      value,
      mustBeInvalid: spec.required === true && spec.default === undefined,
    })),
    ...commonValues(markers),
    ...newlineInjections.map((value, index) => ({
      category: 'newline-injection' as const,
      label: `injection ${index + 1}`,
      value,
      mustBeInvalid: oneLine && !isItemised(spec),
    })),
    { category: 'nul', label: 'NUL', value: 'a\0b', mustBeInvalid: true },
    ...typedValues(spec),
  ];
  if (!isKeyed(spec)) return values;
  const keyed = values
    .filter((value) => !['empty', 'whitespace', 'wrong-type', 'invalid-form'].includes(value.category))
    .map((value) => ({ ...value, label: `key=${value.label}`, value: `corpus_key=${value.value}`, mustBeInvalid: value.mustBeInvalid }));
  return [...values, ...keyed];
}

/** List-like inputs split on line breaks, so a line break is a separator there, not an injected line. */
function isItemised(spec: InputSpec): boolean {
  return spec.type === 'list' || spec.type === 'lines' || spec.type === 'map';
}

/**
 * Every case for every step: each input of the step's spec (those the given host kind offers), each
 * value for it (see {@link caseInputs} for the inputs a case runs with).
 */
export function generateCorpus(specs: readonly StepSpec[], markers: ShellMarkers, hostKind: 'github' | 'azure-pipelines' | 'cli' = 'cli'): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const spec of specs) {
    for (const input of spec.inputs) {
      if (input.hosts && !input.hosts.includes(hostKind)) continue;
      const seen = new Map<string, number>();
      for (const value of corpusValues(input, markers)) {
        const key = `${spec.id}/${input.name}/${value.category}`;
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        cases.push({ ...value, id: `${key}#${n}`, step: spec.id, input: input.name });
      }
    }
  }
  return cases;
}

/** One case of the sample run through the real hosts (bundled action, task and CLI). */
export interface HostSampleCase {
  readonly id: string;
  readonly step: string;
  readonly input: string;
  readonly label: string;
  /** The value, or undefined when it is given as raw bytes (`rawFormat`). */
  readonly value?: string;
  /** printf escapes of a value that is not UTF-8: only bash can put such bytes in a variable. */
  readonly rawFormat?: string;
  readonly hosts: readonly ('github' | 'azure-pipelines' | 'cli')[];
}

const allHosts = ['github', 'azure-pipelines', 'cli'] as const;

/**
 * The sample of the corpus that runs through each real host, chosen from the spec: both newline
 * injections in the step's first one-line text input; a NUL, which no host can carry in an environment
 * variable or argv (the OS strings end at NUL), inside the step's first document input as a JSON/YAML
 * escape, or — for a step without one — bytes that are not UTF-8; and every input that only some hosts
 * offer (the Azure Pipelines service connection), in those hosts.
 */
export function hostSample(spec: StepSpec): HostSampleCase[] {
  const everywhere = spec.inputs.filter((input) => !input.hosts);
  const text = everywhere.find((input) => input.type === 'string');
  const document = everywhere.find((input) => input.type === 'multiline');
  const cases: HostSampleCase[] = [];
  const add = (input: string, label: string, value: Partial<Pick<HostSampleCase, 'value' | 'rawFormat'>>, hosts: HostSampleCase['hosts'] = allHosts) => {
    cases.push({ id: `${spec.id}/${input}/${label}`, step: spec.id, input, label, ...value, hosts });
  };
  if (text) for (const [index, value] of newlineInjections.entries()) add(text.name, `newline injection ${index + 1}`, { value });
  if (document) add(document.name, 'NUL as a document escape', { value: '[{"name": "a\\u0000b", "tags": ["x\\u0000y"]}]' });
  else if (text) add(text.name, 'bytes ff fe (not UTF-8)', { rawFormat: '\\377\\376A' });
  for (const input of spec.inputs.filter((candidate) => candidate.hosts)) {
    add(input.name, 'newline injection 2', { value: newlineInjections[1] as string }, input.hosts ?? allHosts);
  }
  return cases;
}
