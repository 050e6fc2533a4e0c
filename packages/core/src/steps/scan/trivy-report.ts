import { InputError, ParseError } from '../../errors/index.ts';
import { isSeverity, type Severity } from './severity.ts';

/**
 * The parts of Trivy's JSON report (SchemaVersion 2) the gate reads. Unknown fields are ignored so new
 * Trivy versions (ReportID, Fingerprint, ...) keep working; missing required fields are errors.
 */
export interface TrivyReport {
  schemaVersion: 2;
  artifactName: string;
  artifactType: string;
  trivyVersion: string | undefined;
  results: TrivyResult[];
}

export interface TrivyResult {
  target: string;
  class: string;
  type: string | undefined;
  vulnerabilities: TrivyVulnerability[];
  secrets: TrivySecret[];
  misconfigurations: TrivyMisconfiguration[];
}

export interface TrivyVulnerability {
  id: string;
  pkgName: string;
  pkgPath: string | undefined;
  purl: string | undefined;
  installedVersion: string;
  fixedVersion: string | undefined;
  status: string | undefined;
  severity: Severity;
  title: string | undefined;
  primaryUrl: string | undefined;
}

export interface TrivySecret {
  ruleId: string;
  category: string | undefined;
  severity: Severity;
  title: string;
  startLine: number | undefined;
  endLine: number | undefined;
}

export interface TrivyMisconfiguration {
  id: string;
  title: string;
  message: string | undefined;
  resolution: string | undefined;
  severity: Severity;
  status: string;
  primaryUrl: string | undefined;
  /** Where in the file the check failed (CauseMetadata); absent for whole-file checks such as DS-0026. */
  startLine: number | undefined;
  endLine: number | undefined;
}

/**
 * Parses a Trivy JSON report. `source` names where it came from: the `report` input (bad input, exit 2)
 * or Trivy's own stdout (a tool failure, exit 3).
 */
export function parseTrivyReport(text: string, source: { input?: string } = {}): TrivyReport {
  const fail = (message: string) =>
    source.input
      ? new InputError(source.input, message, { hint: 'give a report written by `trivy ... --format json`' })
      : new ParseError(`Trivy JSON report (${message})`, text);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    if (source.input) throw new InputError(source.input, 'is not JSON', { cause: error });
    throw new ParseError('Trivy JSON report', text, { cause: error });
  }
  if (!isRecord(document)) throw fail('not a JSON object');
  if (document.SchemaVersion !== 2) {
    throw fail(`SchemaVersion is ${JSON.stringify(document.SchemaVersion)}, expected 2`);
  }
  if (typeof document.ArtifactName !== 'string') throw fail('no ArtifactName');
  const results = document.Results ?? [];
  if (!Array.isArray(results)) throw fail('Results is not a list');
  const trivy = isRecord(document.Trivy) ? document.Trivy : {};
  return {
    schemaVersion: 2,
    artifactName: document.ArtifactName,
    artifactType: typeof document.ArtifactType === 'string' ? document.ArtifactType : 'unknown',
    trivyVersion: typeof trivy.Version === 'string' ? trivy.Version : undefined,
    results: results.map((result, index) => parseResult(result, `Results[${index}]`, fail)),
  };
}

function parseResult(value: unknown, where: string, fail: (m: string) => Error): TrivyResult {
  if (!isRecord(value) || typeof value.Target !== 'string') throw fail(`${where} has no Target`);
  return {
    target: value.Target,
    class: str(value.Class) ?? 'unknown',
    type: str(value.Type),
    vulnerabilities: list(value.Vulnerabilities, `${where}.Vulnerabilities`, fail).map((v, i) => {
      const at = `${where}.Vulnerabilities[${i}]`;
      if (typeof v.VulnerabilityID !== 'string' || typeof v.PkgName !== 'string') throw fail(`${at} has no VulnerabilityID/PkgName`);
      const identifier = isRecord(v.PkgIdentifier) ? v.PkgIdentifier : {};
      return {
        id: v.VulnerabilityID,
        pkgName: v.PkgName,
        pkgPath: str(v.PkgPath),
        purl: str(identifier.PURL),
        installedVersion: str(v.InstalledVersion) ?? '',
        fixedVersion: str(v.FixedVersion) || undefined,
        status: str(v.Status),
        severity: severityOf(v.Severity, at, fail),
        title: str(v.Title),
        primaryUrl: str(v.PrimaryURL),
      };
    }),
    secrets: list(value.Secrets, `${where}.Secrets`, fail).map((s, i) => ({
      ruleId: str(s.RuleID) ?? 'unknown',
      category: str(s.Category),
      severity: severityOf(s.Severity, `${where}.Secrets[${i}]`, fail),
      title: str(s.Title) ?? 'secret',
      startLine: num(s.StartLine),
      endLine: num(s.EndLine),
    })),
    misconfigurations: list(value.Misconfigurations, `${where}.Misconfigurations`, fail).map((m, i) => {
      const cause = isRecord(m.CauseMetadata) ? m.CauseMetadata : {};
      return {
        id: str(m.ID) ?? str(m.AVDID) ?? 'unknown',
        title: str(m.Title) ?? '',
        message: str(m.Message),
        resolution: str(m.Resolution),
        severity: severityOf(m.Severity, `${where}.Misconfigurations[${i}]`, fail),
        status: str(m.Status) ?? 'FAIL',
        primaryUrl: str(m.PrimaryURL),
        startLine: num(cause.StartLine),
        endLine: num(cause.EndLine),
      };
    }),
  };
}

function severityOf(value: unknown, where: string, fail: (m: string) => Error): Severity {
  if (typeof value === 'string' && isSeverity(value)) return value;
  throw fail(`${where} has severity ${JSON.stringify(value)}`);
}

function list(value: unknown, where: string, fail: (m: string) => Error): Array<Record<string, unknown>> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isRecord)) throw fail(`${where} is not a list of objects`);
  return value;
}

/** Line numbers count from 1, so 0 (or nothing) means the finding has no line. */
function num(value: unknown): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
