import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRunReportHtml } from '../../../packages/core/src/report/render-report-html.ts';
import type { CanaryChartData } from '../../../packages/core/src/report/report-chart-data.ts';
import type { RunReport } from '../../../packages/core/src/report/run-report.ts';
import { uplotLicense, uplotScript, uplotVersion } from '../../../packages/core/src/report/uplot-source.generated.ts';
import { at, canary, directDeployRun, dryRun, failedBuildRun, rolledBackCanaryRun } from './run-report-samples.ts';

const root = path.resolve(import.meta.dirname, '../../..');

/** The chart data embedded in the page, parsed as the page's script parses it. */
function chartData(page: string): CanaryChartData {
  const match = /<script type="application\/json" id="slipway-chart-data">(.*?)<\/script>/s.exec(page);
  if (!match) throw new Error('the page embeds no chart data');
  return JSON.parse(match[1] as string) as CanaryChartData;
}

const scriptTags = (page: string) => page.match(/<script\b/gi) ?? [];

describe('renderRunReportHtml: escaping', () => {
  const payload = '</script><script>alert(1)</script>';
  const attribute = '" onmouseover="alert(2)';
  const hostile: RunReport = {
    ...rolledBackCanaryRun,
    environment: `prod${payload}`,
    config: `<img src=x onerror=alert(3)>.yaml`,
    reason: `reason ${payload}`,
    stages: rolledBackCanaryRun.stages.map((stage) => ({ ...stage, id: `${stage.id}${attribute}`, detail: `${stage.detail} ${payload}` })),
    scans: rolledBackCanaryRun.scans.map((scan) => ({
      ...scan,
      image: `${scan.image}${attribute}`,
      decision: payload,
      findings: scan.findings.map((finding) => ({ ...finding, title: `${finding.title} ${payload}`, package: `<b>${finding.package}</b>`, fixed: '&lt;' })),
    })),
    deploy: {
      ...(rolledBackCanaryRun.deploy as NonNullable<RunReport['deploy']>),
      release: `shop${payload}`,
      reason: payload,
      canary: {
        ...canary,
        metrics: canary.metrics.map((metric) => ({ ...metric, name: `${metric.name}${attribute}${payload}`, threshold: `${metric.threshold}<!--` })),
        decisions: canary.decisions.map((decision) => ({ ...decision, label: `${decision.label} ${payload}` })),
        gates: canary.gates.map((gate) => ({ ...gate, gate: `<u>${gate.gate}</u>`, detail: payload })),
      },
    },
  };
  const page = renderRunReportHtml(hostile);

  it('writes no report string as markup: the only script elements are the three the page brings', () => {
    expect(page).not.toContain(payload);
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<b>');
    expect(page).not.toContain('<u>');
    expect(scriptTags(page)).toHaveLength(3);
  });

  it('keeps the strings as visible text, escaped', () => {
    expect(page).toContain('shop&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(3)&gt;.yaml');
    expect(page).toContain('&lt;b&gt;golang.org/x/crypto&lt;/b&gt;');
    // An already-escaped string is escaped again: the reader sees what the tool wrote.
    expect(page).toContain('&amp;lt;');
  });

  it('cannot break out of an attribute', () => {
    expect(page).not.toContain('" onmouseover="alert(2)');
    expect(page).toContain('data-stage="deploy&quot; onmouseover=&quot;alert(2)"');
  });

  it('embeds the chart data with every < escaped, and it parses back to the same strings', () => {
    const raw = /<script type="application\/json" id="slipway-chart-data">(.*?)<\/script>/s.exec(page)?.[1] ?? '';
    expect(raw).not.toContain('<');
    expect(raw).toContain('\\u003c/script>');
    const data = chartData(page);
    expect(data.decisions.map((decision) => decision.label)).toEqual(canary.decisions.map((decision) => `${decision.label} ${payload}`));
    expect(data.metrics[0]?.name).toBe(`error-rate${attribute}${payload}`);
    expect(data.metrics[0]?.threshold).toBe('<= 1%<!--');
  });
});

describe('renderRunReportHtml: a canary that rolled back', () => {
  const page = renderRunReportHtml(rolledBackCanaryRun);

  it('has the header: result, environment, config, start, total time and reason', () => {
    expect(page).toContain('<title>Slipway run gate failed (staging)</title>');
    expect(page).toMatch(/<span class="badge tone-bad" id="result" data-result="gate-failed">gate failed<\/span>/);
    expect(page).toContain('<dd>staging</dd>');
    expect(page).toContain('<code>slipway.yaml</code>');
    expect(page).toContain('2025-06-02 09:00:00 UTC');
    expect(page).toContain('<dd>11 m 10 s</dd>');
    expect(page).toContain('canary rolled back: error-rate 2.4% is not &lt;= 1% at weight 50%');
  });

  it('places each stage bar by its start and end within the run, overlapping for parallel images', () => {
    // The run took 670 s; build:api ran 1-70 s and build:worker 1-50 s, side by side.
    expect(page).toContain(
      'data-stage="build:api" data-status="succeeded">\n<span class="stage-name">build:api</span><span class="track"><span class="bar" style="left:0.15%;width:10.30%"',
    );
    expect(page).toContain('<span class="bar" style="left:0.15%;width:7.31%"');
    expect(page).toMatch(/data-stage="deploy" data-status="gate-failed">[\s\S]*?style="left:17\.91%;width:81\.94%"[\s\S]*?9 m 09 s/);
    expect(page).toContain('<strong>gate-failed</strong>: rolled back: canary health');
  });

  it('has a scan table per image with counts, verdict and the worst findings', () => {
    expect(page).toContain('<section id="scans">');
    expect(page).toMatch(/data-image="api">[\s\S]*?passed[\s\S]*?<td>0<\/td><td>2<\/td><td>5<\/td><td>3<\/td><td>0<\/td>/);
    expect(page).toContain('<td class="mono">CVE-2024-45337</td><td class="sev sev-HIGH">HIGH</td><td class="mono">golang.org/x/crypto</td>');
    expect(page).toContain('The worst 4 of 10 findings.');
    expect(page).toContain('All 2 findings, worst first.');
    expect(page).toContain('<span class="muted">no fix</span>');
  });

  it('has the deploy facts and a chart container per metric, plus the weight chart', () => {
    expect(page).toContain('<code>shop-api</code>');
    expect(page).toContain('<span class="badge tone-bad">rolled-back</span>');
    expect(page).toContain('<dd>14</dd>');
    expect(page).toContain('id="metric-chart-0"');
    expect(page).toContain('id="metric-chart-1"');
    expect(page).toContain('id="weight-chart"');
    expect(page).toContain(
      '<li><span class="mono"><span title="2025-06-02 09:10:45 UTC">+8:35</span></span> rollback: error-rate 2.4% is not &lt;= 1% (3 failures)</li>',
    );
    expect(page).toMatch(/<td class="num">3<\/td><td class="num">50%<\/td><td>error-rate<\/td><td><span class="badge tone-bad">failed<\/span><\/td>/);
  });

  it('shows values in the unit of their threshold: % for error-rate, ms for latency', () => {
    expect(page).toContain('<td class="num">0.4%</td><td>Pass</td>');
    expect(page).toContain('<td class="num">2.4%</td><td>Fail</td>');
    expect(page).toContain('<td class="num">180ms</td><td>Pass</td>');
    expect(page).toContain('limit 1%');
    expect(page).toContain('limit 300ms');
    const [errorRate, latency] = chartData(page).metrics;
    expect(errorRate?.limit).toBe(1);
    expect(errorRate?.value.slice(0, 3)).toEqual([0.2, null, 0.4]);
    expect(errorRate?.outcome.slice(0, 3)).toEqual(['Pass', 'NoData', 'Pass']);
    expect(latency?.limit).toBe(300);
    expect(latency?.value[0]).toBe(180);
  });

  it('puts every chart figure in seconds since the canary started, with the decisions and the weight steps', () => {
    const data = chartData(page);
    expect(data.span).toBe(535);
    expect(data.metrics[0]?.x.slice(0, 2)).toEqual([30, 60]);
    expect(data.decisions.map((decision) => decision.x)).toEqual([0, 180, 360, 515]);
    // The last weight holds until the canary ended.
    expect(data.weights).toEqual({ element: 'weight-chart', x: [0, 180, 360, 515, 535], weight: [10, 25, 50, 0, 0] });
  });

  it('inlines uPlot with its licence and loads nothing from elsewhere', () => {
    expect(page).toContain(uplotScript);
    expect(page).toContain(`/*! uPlot ${uplotVersion}`);
    expect(page).toContain(uplotLicense.split('\n')[0] as string);
    expect(page).toContain('Permission is hereby granted, free of charge');
    expect(page).not.toMatch(/<(script|link|img|iframe)\b[^>]*\b(src|href)=/i);
    expect(page).not.toMatch(/@import|url\(/i);
  });
});

describe('renderRunReportHtml: without a canary, scans or deploy', () => {
  it('a direct deploy has the deploy section but no chart and no script at all', () => {
    const page = renderRunReportHtml(directDeployRun);
    expect(page).toContain('<section id="deploy">');
    expect(page).toContain('<span class="badge tone-ok">deployed</span>');
    expect(page).not.toContain('id="canary"');
    expect(page).not.toContain('slipway-chart-data');
    expect(scriptTags(page)).toEqual([]);
    expect(page.length).toBeLessThan(20_000);
  });

  it('a canary whose records hold no metric and no weight has its tables but no chart', () => {
    const page = renderRunReportHtml({
      ...rolledBackCanaryRun,
      deploy: { ...(rolledBackCanaryRun.deploy as NonNullable<RunReport['deploy']>), canary: { ...canary, metrics: [], weights: [] } },
    });
    expect(page).toContain('id="canary"');
    expect(page).toContain('<h4>Gates</h4>');
    expect(page).not.toContain('class="chart"');
    expect(scriptTags(page)).toEqual([]);
  });

  it('a dry run says so and shows every stage as planned, with no bar, no scans and no deploy', () => {
    const page = renderRunReportHtml(dryRun);
    expect(page).toContain('dry run: nothing was changed');
    expect(page.match(/<span class="bar-none">planned<\/span>/g)).toHaveLength(4);
    expect(page).not.toContain('class="bar"');
    expect(page).toContain('would deploy shop-api by canary 10,25,50');
    expect(page).toContain('<span class="muted">none</span>');
    expect(page).not.toContain('id="scans"');
    expect(page).not.toContain('id="deploy"');
    expect(page).not.toContain('class="reason"');
  });

  it('a failed run shows the failure, its reason and the skipped stages', () => {
    const page = renderRunReportHtml(failedBuildRun);
    expect(page).toMatch(/<span class="badge tone-bad" id="result" data-result="failed">failed<\/span>/);
    expect(page).toContain('<p class="reason" id="reason">build:api: buildah exited with code 125: Dockerfile:7: COPY failed</p>');
    expect(page).toMatch(/data-stage="build:api" data-status="failed">[\s\S]*?class="bar"[\s\S]*?40\.0 s/);
    expect(page.match(/<span class="bar-none">skipped<\/span>/g)).toHaveLength(3);
    expect(page).not.toContain('id="deploy"');
  });

  it('a run with no stage says so', () => {
    expect(renderRunReportHtml({ ...dryRun, stages: [] })).toContain('No stage ran.');
  });

  it('a stage without readable times gets a placeholder, not a bar at a guessed place', () => {
    const page = renderRunReportHtml({
      ...failedBuildRun,
      stages: [{ id: 'build:api', stage: 'build', status: 'failed', startedAt: 'yesterday', endedAt: at(3), detail: 'x' }],
    });
    expect(page).toContain('<span class="bar-none">failed</span>');
    expect(page).not.toContain('class="bar"');
  });
});

describe('the inlined uPlot', () => {
  it('is the exact version packages/core pins, and can sit in a script element', () => {
    const core = JSON.parse(readFileSync(path.join(root, 'packages/core/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(core.dependencies.uplot).toBe(uplotVersion);
    expect(uplotScript).not.toMatch(/<\/script|<!--/i);
    expect(uplotScript).toContain('uPlot');
  });
});
