import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { isAcrLoginServer } from '../../azure/acr-refresh-token.ts';
import { validateAzureAuth } from '../../azure/azure-auth-inputs.ts';
import { validateReleaseTarget } from '../../deploy/validate-release-target.ts';
import { checkReadPath, type InputValues } from '../../inputs/index.ts';
import { parseImageReference } from '../../oci/reference.ts';
import type { HelmChartRef } from '../../tools/helm-args.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import { parseIgnoreFile } from '../scan/ignore-rules.ts';
import { parseFailOn } from '../scan/scan-policy.ts';
import type { ImagePart } from '../../deploy/image-values.ts';
import type { DeployInputs } from './deploy-inputs.ts';
import { canaryNeedsAzure, validateCanaryInputs } from './validate-canary-inputs.ts';
import type { deploySpec } from './deploy-spec.ts';

export type DeployInputValues = InputValues<typeof deploySpec.inputs>;

const imageParts: readonly ImagePart[] = ['repository', 'registry', 'name', 'tag', 'digest', 'tag@digest', 'reference'];

/**
 * A Helm value path as `--set` reads it (strvals): dotted keys, list indexes (`hosts[0].name`), and
 * escaped dots (`annotations.prometheus\.io/scrape`).
 */
const valuePathPattern = /^(?:[A-Za-z0-9_/-]|\\\.)+(?:\[\d+\])*(?:\.(?:[A-Za-z0-9_/-]|\\\.)+(?:\[\d+\])*)*$/;

/**
 * Checks every deploy input before anything is spawned or sent: the release and its cluster, the chart
 * (a local chart is read: Chart.yaml must be a chart), values files (YAML mappings), value paths, the
 * pinned image and where it goes, the policy gate, and the Azure sign-in when the chart is in ACR.
 */
export function validateDeployInputs(values: DeployInputValues, context: ValidationContext): DeployInputs {
  const problems = context.problems;
  const target = validateReleaseTarget(values, context);
  const chart = resolveChart(values, context);
  const chartRegistry = chart?.kind === 'oci' ? new URL(chart.reference.replace(/^oci:/, 'https:')).host : undefined;
  const registryAuth = values.chartRegistryAuth === 'auto' ? (chartRegistry && isAcrLoginServer(chartRegistry) ? 'azure' : 'none') : values.chartRegistryAuth;
  if (values.chartRegistryAuth === 'azure' && chart !== undefined && chart.kind !== 'oci') {
    problems.add('chart-registry-auth', 'azure applies to an oci:// chart only');
  }
  const signIn = chartRegistry !== undefined && registryAuth === 'azure';
  const needsAzure = signIn || canaryNeedsAzure(values);
  const auth = validateAzureAuth(values, context, { signIn: needsAzure });
  const canary = validateCanaryInputs(values, context);

  const valuesFiles = values.valuesFiles.map((file, index) => checkValuesFile(file, index, context));
  for (const key of Object.keys(values.set)) {
    if (!valuePathPattern.test(key)) problems.add('set', `'${key}' is not a value path (e.g. image.tag, hosts[0].name)`);
  }
  const image = resolveImage(values, context);
  const failOn = problems.check(() => parseFailOn(values.policyFailOn, 'policy-fail-on'));
  let ignoreFile: string | undefined;
  let ignoreRules = undefined as ReturnType<typeof parseIgnoreFile> | undefined;
  if (values.policyIgnoreFile !== undefined) {
    const before = problems.count;
    ignoreFile = checkReadPath({ input: 'policy-ignore-file', value: values.policyIgnoreFile, kind: 'file' }, context);
    if (problems.count === before) {
      const file = ignoreFile;
      ignoreRules = problems.check(() => parseIgnoreFile(readFileSync(file, 'utf8'), path.basename(file), 'policy-ignore-file'));
    }
  }
  return {
    target,
    chart: chart ?? { kind: 'path', path: '' },
    chartRegistrySignIn: signIn && chartRegistry ? { registry: chartRegistry, auth } : undefined,
    valuesFiles,
    set: values.set,
    image,
    strategy: values.strategy,
    canary,
    azureAuth: needsAzure ? auth : undefined,
    createNamespace: values.createNamespace,
    historyMax: values.historyMax,
    serverSide: values.serverSide,
    description: values.description,
    timeoutMs: values.timeout,
    stableForMs: values.stableFor,
    maxRestarts: values.maxRestarts,
    policy: failOn && failOn.length > 0 ? { failOn, ignoreRules: ignoreRules ?? [], ignoreFile } : undefined,
  };
}

/** The chart from a path, an OCI reference or a repository, with only the inputs that form fits. */
function resolveChart(values: DeployInputValues, context: ValidationContext): HelmChartRef | undefined {
  const problems = context.problems;
  const { chart, chartVersion, chartRepo } = values;
  // Undefined only when the parser already refused it (required, and empty or not one line).
  if ((chart as string | undefined) === undefined) return undefined;
  if (chart.startsWith('oci://')) {
    if (chartRepo !== undefined) problems.add('chart-repo', 'does not apply to an oci:// chart (the registry is in the reference)');
    let url: URL | undefined;
    try {
      url = new URL(chart.replace(/^oci:/, 'https:'));
    } catch {
      // Reported below.
    }
    if (!url || url.pathname.length <= 1 || url.search || url.hash || url.username || url.password || /[@:]/.test(url.pathname)) {
      problems.add('chart', `'${chart}' is not an OCI chart reference like oci://myacr.azurecr.io/helm/app (give the version in chart-version)`);
      return undefined;
    }
    if (chartVersion !== undefined) checkChartVersion(chartVersion, context);
    return { kind: 'oci', reference: chart, ...(chartVersion === undefined ? {} : { version: chartVersion }) };
  }
  if (chartRepo !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(chartRepo);
    } catch {
      // Reported below.
    }
    if (url?.protocol !== 'https:' || url.username || url.password)
      problems.add('chart-repo', `'${chartRepo}' is not an https:// repository URL without credentials`);
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(chart)) problems.add('chart', `'${chart}' is not a chart name in chart-repo (a name, no path)`);
    if (chartVersion === undefined) problems.add('chart-version', 'is required with chart-repo, so that the same chart is deployed every time');
    else checkChartVersion(chartVersion, context);
    return { kind: 'repo', repoUrl: chartRepo, chart, version: chartVersion ?? '' };
  }
  if (chartVersion !== undefined)
    problems.add('chart-version', 'applies to an oci:// chart or one in chart-repo, not to a chart in the workspace (its Chart.yaml has the version)');
  return checkLocalChart(chart, context);
}

function checkChartVersion(version: string, context: ValidationContext): void {
  // Helm takes a SemVer version or a constraint (`^1.2`); anything with spaces or quotes is neither.
  if (!/^[0-9A-Za-z.^~<>=*+|, -]+$/.test(version) || version.trim() === '')
    context.problems.add('chart-version', `'${version}' is not a chart version or range`);
}

/** A chart directory with a Chart.yaml that names the chart and its version, or a packaged .tgz. */
function checkLocalChart(chart: string, context: ValidationContext): HelmChartRef | undefined {
  const problems = context.problems;
  const resolved = path.resolve(context.workspace, chart);
  const stats = statOrUndefined(resolved);
  if (!stats) {
    problems.add('chart', `${resolved} does not exist (a chart directory, a .tgz, oci://…, or a chart name with chart-repo)`);
    return undefined;
  }
  if (stats.isFile()) {
    if (!/\.tgz$|\.tar\.gz$/.test(resolved)) problems.add('chart', `${resolved} is a file but not a packaged chart (.tgz)`);
    else checkReadPath({ input: 'chart', value: resolved, kind: 'file' }, context);
    return { kind: 'path', path: resolved };
  }
  const chartFile = path.join(resolved, 'Chart.yaml');
  let text: string;
  try {
    text = readFileSync(chartFile, 'utf8');
  } catch {
    problems.add('chart', `${resolved} is not a chart: it has no readable Chart.yaml`);
    return undefined;
  }
  const document = parseDocument(text, { prettyErrors: false });
  const meta: unknown = document.errors.length ? undefined : document.toJS();
  if (!isRecord(meta)) problems.add('chart', `${chartFile} is not YAML${document.errors[0] ? `: ${document.errors[0].message.split('\n')[0]}` : ''}`);
  else if (typeof meta.name !== 'string' || meta.version === undefined) problems.add('chart', `${chartFile} lacks the chart's name or version`);
  return { kind: 'path', path: resolved };
}

/** A values file must exist and be one YAML mapping (or empty), as Helm requires. */
function checkValuesFile(file: string, index: number, context: ValidationContext): string {
  const input = 'values-files';
  const before = context.problems.count;
  const resolved = checkReadPath({ input, value: file, kind: 'file' }, context);
  if (context.problems.count !== before) return resolved;
  const document = parseDocument(readFileSync(resolved, 'utf8'), { prettyErrors: false, uniqueKeys: true });
  const [problem] = document.errors;
  if (problem) {
    context.problems.add(input, `${resolved} (line ${index + 1} of values-files) is not YAML: ${problem.message.split('\n')[0]}`);
    return resolved;
  }
  const value: unknown = document.toJS();
  if (value !== null && value !== undefined && !isRecord(value))
    context.problems.add(input, `${resolved} is not a YAML mapping of values (Helm reads a map at the top)`);
  return resolved;
}

function resolveImage(values: DeployInputValues, context: ValidationContext): DeployInputs['image'] {
  const problems = context.problems;
  const paths: Array<{ path: string; part: ImagePart }> = [];
  for (const [valuePath, part] of Object.entries(values.imageValues)) {
    if (!valuePathPattern.test(valuePath)) problems.add('image-values', `'${valuePath}' is not a value path (e.g. image.repository)`);
    const known = imageParts.find((candidate) => candidate === part.trim().toLowerCase());
    if (!known) problems.add('image-values', `'${valuePath}=${part}': '${part}' is not a part of the image (${imageParts.join(', ')})`);
    else paths.push({ path: valuePath, part: known });
  }
  if (values.image === undefined) return undefined;
  const reference = parseImageReference(values.image);
  if (!reference) {
    problems.add('image', `'${values.image}' is not an image reference like myacr.azurecr.io/app:1.2@sha256:…`);
    return undefined;
  }
  if (!reference.digest) {
    problems.add(
      'image',
      `'${values.image}' is not pinned by digest`,
      "use push's `image` output (registry/repo@sha256:…), so the cluster runs exactly the image that was scanned",
    );
    return undefined;
  }
  if (paths.length === 0 && !problems.has('image-values')) problems.add('image-values', 'is empty: say where the image goes in the chart values');
  if (!reference.tag && paths.some((entry) => entry.part === 'tag')) {
    problems.add('image-values', `part 'tag' is used but '${values.image}' has no tag; use tag@digest or digest`);
  }
  const repository = reference.registry ? `${reference.registry}/${reference.repository}` : reference.repository;
  return { pinned: { reference: values.image, registry: reference.registry, repository, tag: reference.tag, digest: reference.digest }, paths };
}

function statOrUndefined(file: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
