/**
 * The run report's HTML in a real browser: Debian's Chromium (scripts/install-system-deps.sh installs
 * it) driven by playwright-core, which downloads no browser of its own. The page is opened from a
 * file, as a user opens the artefact, and must draw its charts with no console error, no page error
 * and no request to anywhere else.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRunReportHtml } from '../../../packages/core/src/report/render-report-html.ts';
import type { RunReport } from '../../../packages/core/src/report/run-report.ts';
import { canary, directDeployRun, dryRun, failedBuildRun, rolledBackCanaryRun } from '../../unit/report/run-report-samples.ts';

const chromiumPath = '/usr/bin/chromium';
// CI installs Chromium, so there a missing browser fails the suite instead of hiding behind a skip.
const skipReason =
  existsSync(chromiumPath) || process.env.CI
    ? undefined
    : `${chromiumPath} is not installed: run \`bash scripts/install-system-deps.sh\` (as root or with sudo)`;

/** The colours the chart script draws with (report-chart-script.ts). */
const colours = {
  value: [0x25, 0x63, 0xeb],
  fail: [0xdc, 0x26, 0x26],
  threshold: [0xd9, 0x77, 0x06],
  weight: [0x08, 0x91, 0xb2],
} as const;

interface OpenedReport {
  readonly page: Page;
  /** Console errors, page errors, dialogs (an injected alert) and requests for anything but the file. */
  readonly problems: string[];
}

interface Pixels {
  readonly width: number;
  readonly height: number;
  /** The pixels within a few levels of `rgb` (anti-aliased edges excluded), as coordinates. */
  matching(rgb: readonly [number, number, number]): { x: number; y: number }[];
  /** Pixels that are not (near) white, the page background. */
  readonly inked: number;
}

function decode(png: Buffer): Pixels {
  const image = PNG.sync.read(png);
  const at = (index: number) => [image.data[index] ?? 0, image.data[index + 1] ?? 0, image.data[index + 2] ?? 0] as const;
  let inked = 0;
  for (let index = 0; index < image.data.length; index += 4) {
    if (Math.min(...at(index)) < 235) inked += 1;
  }
  return {
    width: image.width,
    height: image.height,
    inked,
    matching(rgb) {
      const found: { x: number; y: number }[] = [];
      for (let index = 0; index < image.data.length; index += 4) {
        const pixel = at(index);
        if (pixel.every((channel, c) => Math.abs(channel - (rgb[c] ?? 0)) <= 24)) {
          const n = index / 4;
          found.push({ x: n % image.width, y: Math.floor(n / image.width) });
        }
      }
      return found;
    },
  };
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

describe.skipIf(skipReason !== undefined)(`the HTML run report in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser;
  let dir: string;
  let written = 0;

  beforeAll(async () => {
    if (!existsSync(chromiumPath))
      throw new Error(`${chromiumPath} is missing on CI: scripts/install-system-deps.sh should have installed the chromium package`);
    browser = await chromium.launch({ executablePath: chromiumPath });
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-report-'));
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(report: RunReport): Promise<OpenedReport> {
    written += 1;
    const file = path.join(dir, `report-${written}.html`);
    await writeFile(file, renderRunReportHtml(report));
    const url = pathToFileURL(file).href;
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('request', (request) => {
      if (request.url() !== url) problems.push(`request: ${request.url()}`);
    });
    await page.goto(url);
    return { page, problems };
  }

  it('draws each metric against its threshold, the failing samples above it, and the decisions', async () => {
    const { page, problems } = await open(rolledBackCanaryRun);
    await page.waitForSelector('body[data-charts="drawn"]', { timeout: 10_000 });

    const legend = await page.locator('#metric-chart-0 .u-legend').textContent();
    expect(legend).toContain('error-rate');
    expect(legend).toContain('threshold <= 1%');
    expect(legend).toContain('NoData (on the x axis)');
    expect(await page.locator('#metric-chart-1 .u-legend').textContent()).toContain('threshold < 300ms');
    // uPlot's y axis is drawn on the canvas; the figure caption says the limit in the threshold's unit.
    expect(await page.locator('figure[data-metric="error-rate"] figcaption').textContent()).toContain('limit 1%');

    const chart = decode(await page.locator('#metric-chart-0 canvas').screenshot());
    expect(chart.width).toBeGreaterThan(800);
    // Grid, axes, line, points and markers: a blank or failed canvas has next to none.
    expect(chart.inked).toBeGreaterThan(8000);
    const line = chart.matching(colours.value);
    const failing = chart.matching(colours.fail);
    const threshold = chart.matching(colours.threshold);
    expect(line.length).toBeGreaterThan(300);
    expect(threshold.length).toBeGreaterThan(300);
    expect(failing.length).toBeGreaterThan(60);
    // The threshold is one horizontal line; the three Fail samples sit above it, at the end of the canary.
    expect(Math.max(...threshold.map((p) => p.y)) - Math.min(...threshold.map((p) => p.y))).toBeLessThanOrEqual(3);
    expect(mean(failing.map((p) => p.y))).toBeLessThan(mean(threshold.map((p) => p.y)));
    expect(mean(failing.map((p) => p.x))).toBeGreaterThan(chart.width * 0.75);

    const weights = decode(await page.locator('#weight-chart canvas').screenshot());
    const step = weights.matching(colours.weight);
    expect(step.length).toBeGreaterThan(300);
    // Three weights (10, 25, 50) then 0 after the rollback: four distinct heights of horizontal runs.
    const rows = new Map<number, number>();
    for (const p of step) rows.set(p.y, (rows.get(p.y) ?? 0) + 1);
    expect([...rows.values()].filter((count) => count > 60).length).toBeGreaterThanOrEqual(4);

    expect(problems).toEqual([]);
    await page.close();
  });

  it('keeps hostile strings as text: no script runs, the chart data still parses and draws', async () => {
    const payload = '</script><script>alert(1)</script>';
    const { page, problems } = await open({
      ...rolledBackCanaryRun,
      reason: payload,
      scans: rolledBackCanaryRun.scans.map((scan) => ({ ...scan, findings: scan.findings.map((finding) => ({ ...finding, title: payload })) })),
      deploy: {
        ...(rolledBackCanaryRun.deploy as NonNullable<RunReport['deploy']>),
        release: `<img src=x onerror=alert(2)>`,
        canary: {
          ...canary,
          metrics: canary.metrics.map((metric) => ({ ...metric, name: `${metric.name}${payload}` })),
          decisions: canary.decisions.map((decision) => ({ ...decision, label: payload })),
        },
      },
    });
    await page.waitForSelector('body[data-charts="drawn"]', { timeout: 10_000 });
    expect(await page.locator('#reason').textContent()).toBe(payload);
    expect(await page.locator('#deploy code').first().textContent()).toBe('<img src=x onerror=alert(2)>');
    expect(await page.locator('#metric-chart-0 .u-legend').textContent()).toContain(`error-rate${payload}`);
    expect(await page.locator('script').count()).toBe(3);
    expect(problems).toEqual([]);
    await page.close();
  });

  it.each([
    ['a direct deploy (no canary)', directDeployRun],
    ['a dry run', dryRun],
    ['a failed build', failedBuildRun],
  ] as const)('renders %s with no console error and no chart', async (_name, report) => {
    const { page, problems } = await open(report);
    await page.waitForLoadState('load');
    expect(await page.locator('#stages .stage').count()).toBe(report.stages.length);
    expect(await page.locator('canvas').count()).toBe(0);
    expect(await page.locator('#result').textContent()).toBe(report.result === 'failed' ? 'failed' : 'succeeded');
    expect(problems).toEqual([]);
    await page.close();
  });
});
