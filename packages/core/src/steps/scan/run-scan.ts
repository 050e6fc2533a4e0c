import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ParseError } from '../../errors/index.ts';
import type { RegistryCredentials } from '../../azure/registry-sign-in.ts';
import { Trivy, trivyCredentialEnv } from '../../tools/trivy.ts';
import type { ScanTarget } from '../../tools/trivy-args.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import { renderMarkdownReport } from './reports/markdown-report.ts';
import type { ScanInputs } from './scan-inputs.ts';
import { summariseScan, type ScanSummary } from './scan-summary.ts';
import { ensureTrivyDb } from './trivy-db.ts';
import { parseTrivyReport } from './trivy-report.ts';
import { writeScanReports, type ScanReportFiles } from './write-scan-reports.ts';

export interface ScanResult {
  summary: ScanSummary;
  files: ScanReportFiles;
  markdown: string;
}

/** Runs Trivy (unless a report was given), gates on its JSON, then writes the requested reports. */
export async function runScan(inputs: ScanInputs, deps: StepDeps): Promise<ScanResult> {
  const trivy = new Trivy(deps.runner);
  // Without json-file the report goes to a file of our own in the temp dir; it is the `json-report`
  // output, so it stays after a scan that got that far, and goes if the scan did not.
  const defaultReport = inputs.jsonFile ? undefined : path.join(deps.tempDir, `slipway-scan-${randomUUID()}.json`);
  let finished = false;
  try {
    const scanned =
      inputs.target.kind === 'report'
        ? { text: inputs.target.text, file: inputs.target.path, trivyVersion: undefined }
        : await scanWithTrivy(inputs, inputs.target, inputs.jsonFile ?? (defaultReport as string), trivy, deps);
    const summary = summariseScan(parseTrivyReport(scanned.text), {
      ignoreUnfixed: inputs.ignoreUnfixed,
      ignoreRules: inputs.ignoreRules,
      clauses: inputs.clauses,
      shownSeverities: inputs.shownSeverities,
      now: deps.now(),
      trivyVersion: scanned.trivyVersion,
    });
    for (const rule of summary.expiredRules) {
      deps.log.warning(`ignore entry ${rule.id} (${rule.origin}) expired on ${rule.expiresAt?.toISOString().slice(0, 10)} and no longer ignores anything`);
    }
    const files = await writeScanReports(
      summary,
      { reportFile: scanned.file, jsonFile: inputs.jsonFile, sarifFile: inputs.sarifFile, junitFile: inputs.junitFile, cyclonedxFile: inputs.cyclonedxFile },
      trivy,
    );
    finished = true;
    return { summary, files, markdown: renderMarkdownReport(summary) };
  } finally {
    if (!finished && defaultReport) await rm(defaultReport, { force: true });
  }
}

/** Version check, registry sign-in, DB supply, then the scan itself; returns Trivy's JSON. */
async function scanWithTrivy(
  inputs: ScanInputs,
  target: ScanTarget,
  reportFile: string,
  trivy: Trivy,
  deps: StepDeps,
): Promise<{ text: string; file: string; trivyVersion: string }> {
  const version = await trivy.requireVersion(inputs.trivyVersion);
  deps.log.info(`trivy ${version.text}`);
  const credentials = await signInForScan(inputs.registryAuth, deps);
  const env = credentials ? trivyCredentialEnv(credentials) : {};

  await deps.log.group('Trivy vulnerability DB', () =>
    ensureTrivyDb({ ...inputs.db, insecureRegistry: inputs.insecureRegistry, now: deps.now(), trivy, sleep: deps.sleep, log: deps.log, env }),
  );
  await mkdir(path.dirname(reportFile), { recursive: true });
  await deps.log.group(`Trivy scan of ${target.kind === 'layout' ? target.path : target.reference}`, () =>
    trivy.scan(
      {
        target,
        scanners: inputs.scanners,
        cacheDir: inputs.db.cacheDir,
        outputFile: reportFile,
        timeoutMs: inputs.timeoutMs,
        listAllPackages: inputs.cyclonedxFile !== undefined,
        offline: inputs.db.offline,
        insecureRegistry: inputs.insecureRegistry,
      },
      { env, timeoutMs: inputs.timeoutMs + 60_000, onLine: (line) => deps.log.info(line) },
    ),
  );
  try {
    return { text: await readFile(reportFile, 'utf8'), file: reportFile, trivyVersion: version.text };
  } catch (error) {
    throw new ParseError('Trivy JSON report (Trivy exited 0 but wrote no report)', '', { cause: error });
  }
}

/** The credentials Trivy logs in to the image's registry with, if it needs any. */
async function signInForScan(auth: ScanInputs['registryAuth'], deps: StepDeps): Promise<RegistryCredentials | undefined> {
  if (auth?.kind === 'basic') {
    deps.setSecret(auth.password);
    return { username: auth.username, password: auth.password };
  }
  if (auth?.kind === 'azure') {
    // The Azure SDKs load only for a scan that signs in to ACR, not for every scan of a local layout.
    const { signInToRegistry } = await import('../../azure/registry-sign-in.ts');
    return signInToRegistry({
      registry: auth.registry,
      auth: auth.auth,
      federatedToken: deps.federatedToken,
      signal: deps.signal,
      log: deps.log,
      setSecret: deps.setSecret,
    });
  }
  return undefined;
}
