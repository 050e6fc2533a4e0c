/** Child of scan-gate.bench.ts: times the gate on the report given in argv and prints the figures. */
import { readFileSync } from 'node:fs';
import { parseFailOn, parseIgnoreFile, parseTrivyReport, renderJunitReport, renderMarkdownReport, renderSarifReport, summariseScan } from '@slipway/core';

const [reportFile = '', ignoreFile = ''] = process.argv.slice(2);
const baseline = process.memoryUsage().rss;
const started = performance.now();
const report = parseTrivyReport(readFileSync(reportFile, 'utf8'));
const parsed = performance.now();
const summary = summariseScan(report, {
  ignoreUnfixed: false,
  ignoreRules: parseIgnoreFile(readFileSync(ignoreFile, 'utf8'), '.trivyignore'),
  clauses: parseFailOn('CRITICAL>0,HIGH>5'),
  shownSeverities: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
  now: new Date(),
});
const gated = performance.now();
const sarif = JSON.stringify(renderSarifReport(summary));
const junit = renderJunitReport(summary);
const markdown = renderMarkdownReport(summary);
const rendered = performance.now();
const peak = process.resourceUsage().maxRSS * 1024;
console.log(
  `parse ${(parsed - started).toFixed(0)} ms, gate (flatten+ignore+count+policy) ${(gated - parsed).toFixed(0)} ms, reports ${(rendered - gated).toFixed(0)} ms, total ${(rendered - started).toFixed(0)} ms`,
);
console.log(
  `kept ${summary.findings.length}, ignored ${summary.ignored.length}; sarif ${(sarif.length / 1024 / 1024).toFixed(1)} MiB, junit ${(junit.length / 1024 / 1024).toFixed(1)} MiB, markdown ${markdown.length} B`,
);
console.log(`peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB (baseline before parsing ${(baseline / 1024 / 1024).toFixed(0)} MiB)`);
