import type { ScanSummary } from '../scan-summary.ts';

/**
 * JUnit XML for the Azure Pipelines Tests tab (PublishTestResults@2, testResultsFormat JUnit): one test
 * suite per scan target, one test case per finding; gated severities are failures, the rest skipped.
 */
export function renderJunitReport(summary: ScanSummary): string {
  const shown = summary.findings.filter((finding) => summary.shownSeverities.includes(finding.severity));
  const targets = [...new Set(shown.map((finding) => finding.target))];
  const suites = targets.map((target) => {
    const findings = shown.filter((finding) => finding.target === target);
    const failures = findings.filter((finding) => summary.gatedSeverities.includes(finding.severity));
    const cases = findings.map((finding) => {
      // The line keeps two failures of one check in one file apart in the Tests tab.
      const name = `[${finding.severity}] ${finding.id}${finding.location ? ` (line ${finding.location.startLine})` : ''}`;
      const classname = finding.pkgName ? `${finding.pkgName}-${finding.installedVersion ?? ''}` : finding.kind;
      const body = `${finding.title}${finding.fixedVersion ? `\nFixed in ${finding.fixedVersion}` : ''}${finding.primaryUrl ? `\n${finding.primaryUrl}` : ''}`;
      const outcome = summary.gatedSeverities.includes(finding.severity)
        ? `<failure message="${xml(finding.title)}" type="${finding.severity}">${xml(body)}</failure>`
        : `<skipped message="${xml(`${finding.severity} is not gated by fail-on`)}"/>`;
      return `    <testcase classname="${xml(classname)}" name="${xml(name)}" time="0">${outcome}</testcase>`;
    });
    return [
      `  <testsuite name="${xml(target)}" tests="${findings.length}" failures="${failures.length}" errors="0" skipped="${findings.length - failures.length}" time="0">`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  const total = shown.length;
  const failed = shown.filter((finding) => summary.gatedSeverities.includes(finding.severity)).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="trivy ${xml(summary.artifact)}" tests="${total}" failures="${failed}" errors="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function xml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // XML 1.0 forbids most control characters even when escaped.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
  );
}
