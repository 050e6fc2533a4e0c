import { defineStep } from '../framework/step-definition.ts';
import { scanSpec } from './scan-spec.ts';
import { validateScanInputs } from './validate-scan-inputs.ts';

export const scanStep = defineStep({
  spec: scanSpec,
  validate: validateScanInputs,
  async run(inputs, deps) {
    // Loaded on first run, not with the registry: run-scan brings the Trivy DB supply, the report
    // renderers and the ACR token exchange (@azure/identity), which help and validation never need.
    const { runScan } = await import('./run-scan.ts');
    const { summary, files, markdown } = await runScan(inputs, deps);
    const top = summary.findings.slice(0, 10).map((finding) => ({
      id: finding.id,
      severity: finding.severity,
      package: finding.pkgName ?? null,
      installed: finding.installedVersion ?? null,
      fixed: finding.fixedVersion ?? null,
      target: finding.target,
      title: finding.title,
    }));
    deps.log.info(`scan: ${summary.decision.passed ? 'passed' : 'FAILED'}: ${summary.decision.reason}`);
    return {
      outcome: summary.decision.passed ? 'succeeded' : 'gate-failed',
      reason: `scan gate failed: ${summary.decision.reason}`,
      outputs: {
        passed: String(summary.decision.passed),
        reason: summary.decision.reason,
        counts: JSON.stringify(summary.counts),
        critical: String(summary.counts.CRITICAL),
        high: String(summary.counts.HIGH),
        medium: String(summary.counts.MEDIUM),
        low: String(summary.counts.LOW),
        unknown: String(summary.counts.UNKNOWN),
        'top-findings': JSON.stringify(top),
        'json-report': files.json,
        'sarif-report': files.sarif ?? '',
        'junit-report': files.junit ?? '',
        sbom: files.sbom ?? '',
        'trivy-version': summary.trivyVersion ?? '',
      },
      summary: markdown,
      result: {
        passed: summary.decision.passed,
        reason: summary.decision.reason,
        counts: summary.counts,
        ignored: summary.ignored.length,
        expiredIgnores: summary.expiredRules.map((r) => r.id),
        topFindings: top,
        totalFindings: summary.findings.length,
        artifact: summary.artifact,
        files,
      },
    };
  },
});
