import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ParseError, SlipwayError } from '../../errors/index.ts';
import { ExitCode } from '../../errors/exit-codes.ts';
import { acrTokenUserName, exchangeAcrRefreshToken } from '../../azure/acr-refresh-token.ts';
import { createCredential } from '../../azure/create-credential.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import { renderJunitReport } from './reports/junit-report.ts';
import { renderMarkdownReport } from './reports/markdown-report.ts';
import { renderSarifReport } from './reports/sarif-report.ts';
import type { ScanInputs } from './scan-inputs.ts';
import { summariseScan, type ScanSummary } from './scan-summary.ts';
import { buildTrivyConvertArgs, buildTrivyScanArgs } from './trivy-args.ts';
import { ensureTrivyDb } from './trivy-db.ts';
import { parseTrivyReport } from './trivy-report.ts';

export interface ScanResult {
  summary: ScanSummary;
  files: { json: string; sarif?: string; junit?: string; sbom?: string };
  markdown: string;
}

/** Runs Trivy (unless a report was given), gates on its JSON, then writes the requested reports. */
export async function runScan(inputs: ScanInputs, deps: StepDeps): Promise<ScanResult> {
  await mkdir(deps.tempDir, { recursive: true });
  const work = await mkdtemp(path.join(deps.tempDir, 'slipway-scan-'));
  let reportText: string;
  let reportFile: string;
  let trivyVersion: string | undefined;

  if (inputs.target.kind === 'report') {
    reportText = inputs.target.text;
    reportFile = inputs.target.path;
  } else {
    const target = inputs.target;
    trivyVersion = await checkTrivyVersion(inputs, deps);
    const env: Record<string, string> = {
      // The air-gap docs: both are needed to stop the background request to check.trivy.dev.
      TRIVY_SKIP_VERSION_CHECK: 'true',
      TRIVY_DISABLE_TELEMETRY: 'true',
    };
    // Credentials reach Trivy through its documented environment variables, never argv.
    if (inputs.registryAuth?.kind === 'basic') {
      env.TRIVY_USERNAME = inputs.registryAuth.username;
      env.TRIVY_PASSWORD = inputs.registryAuth.password;
      deps.setSecret(inputs.registryAuth.password);
    } else if (inputs.registryAuth?.kind === 'azure') {
      const { registry, auth } = inputs.registryAuth;
      const { credential, description } = createCredential(auth, deps.federatedToken ? { federatedToken: deps.federatedToken } : {});
      deps.log.info(`signing in to ${registry} as ${description}`);
      const refreshToken = await exchangeAcrRefreshToken({ registry, credential, audience: auth.cloud.containerRegistryAudience, tenantId: auth.tenantId, signal: deps.signal });
      deps.setSecret(refreshToken);
      env.TRIVY_USERNAME = acrTokenUserName;
      env.TRIVY_PASSWORD = refreshToken;
    }
    await deps.log.group('Trivy vulnerability DB', () =>
      ensureTrivyDb({
        ...inputs.db,
        insecureRegistry: inputs.insecureRegistry,
        now: deps.now(),
        runner: deps.runner,
        sleep: deps.sleep,
        log: deps.log,
        env,
      }),
    );
    reportFile = inputs.jsonFile ?? path.join(work, 'trivy-report.json');
    await mkdir(path.dirname(reportFile), { recursive: true });
    await deps.log.group(`Trivy scan of ${target.kind === 'layout' ? target.path : target.reference}`, () =>
      deps.runner.run(
        'trivy',
        buildTrivyScanArgs({
          target,
          scanners: inputs.scanners,
          cacheDir: inputs.db.cacheDir,
          outputFile: reportFile,
          timeoutMs: inputs.timeoutMs,
          listAllPackages: inputs.cyclonedxFile !== undefined,
          offline: inputs.db.offline,
          insecureRegistry: inputs.insecureRegistry,
        }),
        {
          env,
          timeoutMs: inputs.timeoutMs + 60_000,
          onLine: (line) => deps.log.info(line),
          failureHint: 'Trivy failed before producing a report; the scan did not pass',
        },
      ),
    );
    try {
      reportText = await readFile(reportFile, 'utf8');
    } catch (error) {
      throw new ParseError('Trivy JSON report (Trivy exited 0 but wrote no report)', '', { cause: error });
    }
  }

  const summary = summariseScan(parseTrivyReport(reportText), {
    ignoreUnfixed: inputs.ignoreUnfixed,
    ignoreRules: inputs.ignoreRules,
    clauses: inputs.clauses,
    shownSeverities: inputs.shownSeverities,
    now: deps.now(),
    trivyVersion,
  });
  for (const rule of summary.expiredRules) {
    deps.log.warning(`ignore entry ${rule.id} (${rule.origin}) expired on ${rule.expiresAt?.toISOString().slice(0, 10)} and no longer ignores anything`);
  }

  const files: ScanResult['files'] = { json: reportFile };
  if (inputs.jsonFile && inputs.jsonFile !== reportFile) {
    await mkdir(path.dirname(inputs.jsonFile), { recursive: true });
    await copyFile(reportFile, inputs.jsonFile);
    files.json = inputs.jsonFile;
  }
  if (inputs.sarifFile) files.sarif = await writeReport(inputs.sarifFile, `${JSON.stringify(renderSarifReport(summary), null, 2)}\n`);
  if (inputs.junitFile) files.junit = await writeReport(inputs.junitFile, renderJunitReport(summary));
  if (inputs.cyclonedxFile) {
    await mkdir(path.dirname(inputs.cyclonedxFile), { recursive: true });
    await deps.runner.run('trivy', buildTrivyConvertArgs(reportFile, 'cyclonedx', inputs.cyclonedxFile), { timeoutMs: 120_000 });
    files.sbom = inputs.cyclonedxFile;
  }
  return { summary, files, markdown: renderMarkdownReport(summary) };
}

async function writeReport(file: string, content: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

/** Reports the Trivy version and enforces `trivy-version` when set. */
async function checkTrivyVersion(inputs: ScanInputs, deps: StepDeps): Promise<string> {
  const { stdout } = await deps.runner.run('trivy', ['--version', '--format', 'json'], { timeoutMs: 30_000 });
  let version: unknown;
  try {
    version = (JSON.parse(stdout) as { Version?: unknown }).Version;
  } catch (error) {
    throw new ParseError('trivy --version --format json', stdout, { cause: error });
  }
  if (typeof version !== 'string') throw new ParseError('trivy --version --format json (no Version)', stdout);
  deps.log.info(`trivy ${version}`);
  if (inputs.trivyVersion && version.replace(/^v/, '') !== inputs.trivyVersion) {
    throw new SlipwayError('TRIVY_VERSION_MISMATCH', `trivy ${version} is installed but trivy-version requires ${inputs.trivyVersion}`, ExitCode.environment, {
      hint: `install Trivy ${inputs.trivyVersion} on the runner, or change trivy-version`,
    });
  }
  return version;
}
