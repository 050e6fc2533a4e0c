import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Trivy } from '../../tools/trivy.ts';
import { renderJunitReport } from './reports/junit-report.ts';
import { renderSarifReport } from './reports/sarif-report.ts';
import type { ScanSummary } from './scan-summary.ts';

/** Where each report ended up; `json` is always there. */
export interface ScanReportFiles {
  json: string;
  sarif?: string;
  junit?: string;
  sbom?: string;
}

export interface ScanReportRequest {
  /** Trivy's JSON report as it was read for the gate. */
  reportFile: string;
  jsonFile: string | undefined;
  sarifFile: string | undefined;
  junitFile: string | undefined;
  cyclonedxFile: string | undefined;
}

/**
 * Writes the reports that were asked for, all rendered from the summary the gate already decided on
 * (so no report can disagree with the verdict); the CycloneDX SBOM is Trivy's own conversion.
 */
export async function writeScanReports(summary: ScanSummary, request: ScanReportRequest, trivy: Pick<Trivy, 'convert'>): Promise<ScanReportFiles> {
  const files: ScanReportFiles = { json: request.reportFile };
  if (request.jsonFile && request.jsonFile !== request.reportFile) {
    await mkdir(path.dirname(request.jsonFile), { recursive: true });
    await copyFile(request.reportFile, request.jsonFile);
    files.json = request.jsonFile;
  }
  if (request.sarifFile) files.sarif = await writeReport(request.sarifFile, `${JSON.stringify(renderSarifReport(summary), null, 2)}\n`);
  if (request.junitFile) files.junit = await writeReport(request.junitFile, renderJunitReport(summary));
  if (request.cyclonedxFile) {
    await mkdir(path.dirname(request.cyclonedxFile), { recursive: true });
    await trivy.convert(request.reportFile, 'cyclonedx', request.cyclonedxFile);
    files.sbom = request.cyclonedxFile;
  }
  return files;
}

async function writeReport(file: string, content: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}
