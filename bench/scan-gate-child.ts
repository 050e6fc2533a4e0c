/** Child of scan-gate.bench.ts: times the gate on the report given in argv and prints the figures. */
import { readFileSync } from 'node:fs';
import {
  applyIgnoreRules,
  collectFindings,
  countBySeverity,
  evaluatePolicy,
  parseFailOn,
  parseIgnoreFile,
  parseTrivyReport,
  rankFindings,
  renderJunitReport,
  renderMarkdownReport,
  renderSarifReport,
} from '@slipway/core';

const [reportFile = '', ignoreFile = ''] = process.argv.slice(2);
const baseline = process.memoryUsage().rss;
const started = performance.now();
const report = parseTrivyReport(readFileSync(reportFile, 'utf8'));
const parsed = performance.now();
const all = collectFindings(report);
const { kept, ignored, expired } = applyIgnoreRules(all, parseIgnoreFile(readFileSync(ignoreFile, 'utf8'), '.trivyignore'), new Date());
const clauses = parseFailOn('CRITICAL>0,HIGH>5');
const counts = countBySeverity(kept);
const decision = evaluatePolicy(counts, clauses);
const gated = performance.now();
const summary = {
  artifact: report.artifactName,
  trivyVersion: report.trivyVersion,
  decision,
  findings: rankFindings(kept),
  counts,
  shownSeverities: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const,
  gatedSeverities: ['CRITICAL', 'HIGH'] as const,
  ignored: ignored.map(({ finding, rule }) => ({ finding, reason: rule.origin })),
  expiredRules: expired,
  unfixedSkipped: 0,
};
const s = { ...summary, shownSeverities: [...summary.shownSeverities], gatedSeverities: [...summary.gatedSeverities] };
const sarif = JSON.stringify(renderSarifReport(s));
const junit = renderJunitReport(s);
const markdown = renderMarkdownReport(s);
const rendered = performance.now();
const peak = process.resourceUsage().maxRSS * 1024;
console.log(`parse ${(parsed - started).toFixed(0)} ms, gate (flatten+ignore+count+policy) ${(gated - parsed).toFixed(0)} ms, reports ${(rendered - gated).toFixed(0)} ms, total ${(rendered - started).toFixed(0)} ms`);
console.log(`kept ${kept.length}, ignored ${ignored.length}; sarif ${(sarif.length / 1024 / 1024).toFixed(1)} MiB, junit ${(junit.length / 1024 / 1024).toFixed(1)} MiB, markdown ${markdown.length} B`);
console.log(`peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB (baseline before parsing ${(baseline / 1024 / 1024).toFixed(0)} MiB)`);
