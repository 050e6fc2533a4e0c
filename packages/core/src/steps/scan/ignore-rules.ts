import { parse as parseYaml } from 'yaml';
import { InputError } from '../../errors/index.ts';
import type { Finding } from './findings.ts';

/**
 * One ignore entry from `.trivyignore` (`CVE-2024-1234 exp:2025-01-31`) or `.trivyignore.yaml`
 * (`vulnerabilities: [{id, paths, purls, statement, expired_at}]`), the two forms Trivy documents.
 */
export interface IgnoreRule {
  id: string;
  /** Which kinds of finding it applies to; the plain file applies to all. */
  kinds: ReadonlyArray<Finding['kind']>;
  paths: string[];
  purls: string[];
  statement: string | undefined;
  /** End of the day (UTC) after which the rule no longer ignores anything. */
  expiresAt: Date | undefined;
  /** `file:line` for messages. */
  origin: string;
}

const allKinds: ReadonlyArray<Finding['kind']> = ['vulnerability', 'secret', 'misconfiguration'];

/** Parses an ignore file; a `.yaml`/`.yml` name selects the YAML form. Bad dates are input errors. */
export function parseIgnoreFile(text: string, fileName: string, input = 'ignore-file'): IgnoreRule[] {
  return /\.ya?ml$/i.test(fileName) ? parseYamlIgnore(text, fileName, input) : parsePlainIgnore(text, fileName, input);
}

function parsePlainIgnore(text: string, fileName: string, input: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const [id = '', ...rest] = line.split(/\s+/);
    let expiresAt: Date | undefined;
    for (const field of rest) {
      const exp = /^exp:(.*)$/.exec(field);
      if (!exp) throw new InputError(input, `${fileName}:${index + 1}: unexpected ${JSON.stringify(field)} (expected 'ID' or 'ID exp:YYYY-MM-DD')`);
      expiresAt = parseDate(exp[1] ?? '', `${fileName}:${index + 1}`, input);
    }
    rules.push({ id, kinds: allKinds, paths: [], purls: [], statement: undefined, expiresAt, origin: `${fileName}:${index + 1}` });
  });
  return rules;
}

function parseYamlIgnore(text: string, fileName: string, input: string): IgnoreRule[] {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new InputError(input, `${fileName} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  if (document === null || document === undefined) return [];
  if (typeof document !== 'object' || Array.isArray(document))
    throw new InputError(input, `${fileName} must be a mapping with vulnerabilities, misconfigurations, secrets`);
  const sections: Record<string, Finding['kind']> = { vulnerabilities: 'vulnerability', misconfigurations: 'misconfiguration', secrets: 'secret' };
  const rules: IgnoreRule[] = [];
  for (const [section, entries] of Object.entries(document as Record<string, unknown>)) {
    if (section === 'licenses') continue;
    const kind = sections[section];
    if (!kind) throw new InputError(input, `${fileName}: unknown section '${section}' (known: vulnerabilities, misconfigurations, secrets, licenses)`);
    if (entries === null || entries === undefined) continue;
    if (!Array.isArray(entries)) throw new InputError(input, `${fileName}: '${section}' must be a list`);
    entries.forEach((entry: unknown, index) => {
      const origin = `${fileName}:${section}[${index}]`;
      if (typeof entry !== 'object' || entry === null || typeof (entry as { id?: unknown }).id !== 'string') {
        throw new InputError(input, `${origin} needs an id`);
      }
      const record = entry as Record<string, unknown>;
      const expired = record.expired_at;
      rules.push({
        id: record.id as string,
        kinds: [kind],
        paths: stringList(record.paths, origin, input),
        purls: stringList(record.purls, origin, input),
        statement: typeof record.statement === 'string' ? record.statement : undefined,
        // YAML parses an unquoted 2025-01-31 as a string in the core schema; a Date object is accepted too.
        expiresAt:
          expired === undefined || expired === null
            ? undefined
            : parseDate(expired instanceof Date ? expired.toISOString().slice(0, 10) : String(expired), origin, input),
        origin,
      });
    });
  }
  return rules;
}

function stringList(value: unknown, origin: string, input: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw new InputError(input, `${origin}: paths and purls must be lists of strings`);
  return value;
}

function parseDate(text: string, origin: string, input: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 59, 999)) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(match?.[3]) || date.getUTCMonth() !== Number(match?.[2]) - 1) {
    throw new InputError(input, `${origin}: ${JSON.stringify(text)} is not a date (expected YYYY-MM-DD)`);
  }
  return date;
}

export interface IgnoreOutcome<T extends Finding = Finding> {
  kept: T[];
  ignored: Array<{ finding: T; rule: IgnoreRule }>;
  /** Rules past their date: they ignore nothing any more, and the user is told. */
  expired: IgnoreRule[];
}

/** Applies the rules that are still valid at `now`. A rule with paths/purls only matches those. */
export function applyIgnoreRules<T extends Finding>(findings: readonly T[], rules: readonly IgnoreRule[], now: Date): IgnoreOutcome<T> {
  const expired = rules.filter((rule) => rule.expiresAt !== undefined && rule.expiresAt.getTime() < now.getTime());
  // Indexed by id: reports run to tens of thousands of findings and ignore files to hundreds of rules.
  const byId = new Map<string, IgnoreRule[]>();
  for (const rule of rules) {
    if (expired.includes(rule)) continue;
    byId.set(rule.id, [...(byId.get(rule.id) ?? []), rule]);
  }
  const kept: T[] = [];
  const ignored: IgnoreOutcome<T>['ignored'] = [];
  for (const finding of findings) {
    const rule = byId.get(finding.id)?.find((candidate) => matches(candidate, finding));
    if (rule) ignored.push({ finding, rule });
    else kept.push(finding);
  }
  return { kept, ignored, expired };
}

function matches(rule: IgnoreRule, finding: Finding): boolean {
  if (rule.id !== finding.id || !rule.kinds.includes(finding.kind)) return false;
  if (rule.paths.length > 0 && !rule.paths.some((p) => globMatch(p, finding.pkgPath ?? finding.target))) return false;
  if (rule.purls.length > 0 && !(finding.purl && rule.purls.some((purl) => samePurl(purl, finding.purl as string)))) return false;
  return true;
}

/** Trivy matches paths with globs (`**` any depth, `*` within a segment). */
function globMatch(pattern: string, value: string): boolean {
  const regex = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${regex}$`).test(value);
}

/** PURLs are compared without qualifiers (`?arch=amd64&distro=...`), as users write them. */
function samePurl(a: string, b: string): boolean {
  const strip = (purl: string) => purl.split('?')[0];
  return strip(a) === strip(b);
}
