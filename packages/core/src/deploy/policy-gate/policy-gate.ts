import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CancelledError, ParseError } from '../../errors/index.ts';
import type { StepLog } from '../../steps/framework/step-deps.ts';
import { describeFindingPlace } from '../../steps/scan/findings.ts';
import type { IgnoreRule } from '../../steps/scan/ignore-rules.ts';
import type { PolicyClause } from '../../steps/scan/scan-policy.ts';
import { severities } from '../../steps/scan/severity.ts';
import { parseTrivyReport, type TrivyReport } from '../../steps/scan/trivy-report.ts';
import type { Trivy } from '../../tools/trivy.ts';
import { collectMisconfigFindings } from './misconfig-findings.ts';
import { renderPolicyGateMarkdown, writePolicyGateReports, type PolicyGateReportRequest } from './policy-gate-reports.ts';
import { summarisePolicyGate, type PolicyGateSummary } from './policy-gate-summary.ts';
import { writeSlipwayChecks } from './slipway-checks.ts';
import { splitManifest, type ManifestDocument } from './split-manifest.ts';

export interface PolicyGateOptions {
  /** `helm template` output: the chart rendered with the final values (values files, `set`, the pinned image). */
  manifest: string;
  /** From parseFailOn(`policy-fail-on`); empty (`none`) reports without gating. */
  failOn: readonly PolicyClause[];
  /** From parseIgnoreFile(`policy-ignore-file`): scan's format; check ids in any spelling Trivy accepts. */
  ignoreRules?: readonly IgnoreRule[];
  trivy: Pick<Trivy, 'scanConfig'>;
  /** Scratch space; the gate works in a private 0700 directory under it and removes it. */
  tempDir: string;
  /** Trivy's own `--timeout`; the process gets a minute more to write its report. */
  timeoutMs: number;
  signal?: AbortSignal;
  now: () => Date;
  /** What was checked, for titles and reports: `release web (chart ./charts/web)`. */
  artifact?: string;
  /** The cluster's version (`v1.33.4`), for the checks of deprecated APIs. */
  kubeVersion?: string;
  /**
   * The release's namespace: Helm installs objects that name none there, so Trivy's "default namespace"
   * check (KSV-0110), which sees no `metadata.namespace`, is not true of them unless it is `default`.
   */
  namespace?: string;
  /** Reports to write, by format; the markdown is also returned as `summaryMarkdown`. */
  reports?: PolicyGateReportRequest;
}

export interface PolicyGateResult extends PolicyGateSummary {
  trivyVersion: string | undefined;
  /** For the job summary. */
  summaryMarkdown: string;
  /** Where each requested report was written. */
  reportFiles: PolicyGateReportRequest;
}

/** The log lines the gate writes; the caller puts them in its own group. */
export type PolicyGateLog = Pick<StepLog, 'info' | 'warning'>;

const worstLogged = 10;

/**
 * The deploy step's pre-deploy policy gate: the rendered chart, split into one file per document, gets
 * Trivy's Kubernetes misconfiguration checks (embedded in the Trivy binary, never downloaded) and
 * Slipway's own, then the `fail-on` policy and ignore files of the image scan decide. Nothing here talks
 * to the cluster, so a failed gate leaves it untouched. A failed gate is a result (`passed: false`), not
 * an error; Trivy failing or printing what cannot be read is.
 */
export async function runPolicyGate(options: PolicyGateOptions, log: PolicyGateLog): Promise<PolicyGateResult> {
  const artifact = options.artifact ?? 'rendered chart';
  if (options.signal?.aborted) throw new CancelledError('cancelled before the policy gate');
  const documents = splitManifest(options.manifest);
  const sources = new Set(documents.map((document) => document.source ?? document.file));
  log.info(`policy gate: ${documents.length} object(s) from ${sources.size} template(s), Trivy misconfiguration checks (offline)`);

  let scanned: { report: TrivyReport; text: string } | undefined;
  const work = await mkdtemp(path.join(options.tempDir, 'slipway-policy-gate-'));
  try {
    if (documents.length > 0) scanned = await scanManifestDocuments(documents, { ...options, workDir: work });
    const collected = scanned ? collectMisconfigFindings(scanned.report, documents) : { findings: [], unscanned: [], scanned: 0 };
    const summary = summarisePolicyGate(withoutInstallNamespaceFindings(collected, documents, options.namespace), {
      failOn: options.failOn,
      ignoreRules: options.ignoreRules ?? [],
      now: options.now(),
    });
    const trivyVersion = scanned?.report.trivyVersion;
    logSummary(summary, log);
    const context = { artifact, trivyVersion };
    const summaryMarkdown = renderPolicyGateMarkdown(summary, context);
    const reportFiles = options.reports
      ? await writePolicyGateReports(summary, options.reports, { ...context, markdown: summaryMarkdown, trivyReport: scanned?.text })
      : {};
    return { ...summary, trivyVersion, summaryMarkdown, reportFiles };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Trivy's check that an object is not in the `default` namespace. */
const defaultNamespaceCheck = 'KSV-0110';

/** Drops KSV-0110 for objects that name no namespace when Helm installs them into another one. */
function withoutInstallNamespaceFindings<T extends { findings: Array<{ id: string; target: string }> }>(
  collected: T,
  documents: readonly ManifestDocument[],
  namespace: string | undefined,
): T {
  if (namespace === undefined || namespace === 'default') return collected;
  const unnamespaced = new Set(documents.filter((document) => document.object && document.object.namespace === undefined).map((document) => document.file));
  return { ...collected, findings: collected.findings.filter((finding) => !(finding.id === defaultNamespaceCheck && unnamespaced.has(finding.target))) };
}

export interface ManifestScanOptions extends Pick<PolicyGateOptions, 'trivy' | 'timeoutMs' | 'signal' | 'kubeVersion'> {
  /** An empty private directory (0700) to work in; the caller removes it. */
  workDir: string;
}

/**
 * Writes each document to its file under `workDir`/manifests (0600: rendered values can hold secrets),
 * runs `trivy config` on them with Slipway's checks beside Trivy's embedded ones, and returns Trivy's
 * JSON report, parsed and as text.
 */
export async function scanManifestDocuments(
  documents: readonly ManifestDocument[],
  options: ManifestScanOptions,
): Promise<{ report: TrivyReport; text: string }> {
  const work = options.workDir;
  const dir = path.join(work, 'manifests');
  for (const document of documents) {
    const file = path.join(dir, ...document.file.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, document.text, { mode: 0o600, flag: 'wx' });
  }
  // An empty cache dir of its own: Trivy then uses the checks embedded in its binary (pinned with the
  // Trivy version), never a bundle some earlier online run left in ~/.cache/trivy.
  const cacheDir = path.join(work, 'cache');
  await mkdir(cacheDir);
  const extraChecks = await writeSlipwayChecks(path.join(work, 'checks'));
  const emptyIgnoreFile = path.join(work, 'trivyignore-empty');
  await writeFile(emptyIgnoreFile, '');
  const outputFile = path.join(work, 'trivy-config.json');
  if (options.signal?.aborted) throw new CancelledError('cancelled before the policy gate');
  await options.trivy.scanConfig(
    {
      dir,
      cacheDir,
      outputFile,
      timeoutMs: options.timeoutMs,
      misconfigScanners: ['kubernetes'],
      emptyIgnoreFile,
      extraChecks,
      ...(options.kubeVersion ? { k8sVersion: options.kubeVersion } : {}),
    },
    // In the private dir, which holds no trivy.yaml whatever the templates are called.
    { timeoutMs: options.timeoutMs + 60_000, cwd: work },
  );
  let text: string;
  try {
    text = await readFile(outputFile, 'utf8');
  } catch (error) {
    throw new ParseError('Trivy JSON report (Trivy exited 0 but wrote no report)', '', { cause: error });
  }
  return { report: parseTrivyReport(text), text };
}

function logSummary(summary: PolicyGateSummary, log: PolicyGateLog): void {
  for (const rule of summary.expiredRules) {
    log.warning(`ignore entry ${rule.id} (${rule.origin}) expired on ${rule.expiresAt?.toISOString().slice(0, 10)} and no longer ignores anything`);
  }
  for (const document of summary.unscanned) {
    log.warning(
      `policy gate: Trivy did not scan ${document.source ?? document.file} (not recognised as a Kubernetes object: apiVersion, kind and metadata are needed)`,
    );
  }
  const counts = [...severities]
    .reverse()
    .map((severity) => `${summary.counts[severity]} ${severity}`)
    .join(', ');
  log.info(
    `policy gate ${summary.passed ? 'passed' : 'failed'}: ${summary.reason} (${counts}; ${summary.ignored.length} ignored; ${summary.scanned} object(s) checked)`,
  );
  for (const finding of summary.findings.slice(0, worstLogged)) {
    log.info(`  ${finding.severity} ${finding.id} ${finding.resource} (${describeFindingPlace(finding)}): ${finding.message}`);
  }
  if (summary.findings.length > worstLogged) log.info(`  ... and ${summary.findings.length - worstLogged} more (see the summary)`);
}
