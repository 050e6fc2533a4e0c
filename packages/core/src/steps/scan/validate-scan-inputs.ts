import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAcrLoginServer } from '../../azure/acr-refresh-token.ts';
import { validateAzureAuth } from '../../azure/azure-auth-inputs.ts';
import { checkOutputPath, checkReadPath, type InputValues } from '../../inputs/index.ts';
import { parseImageReference } from '../../oci/reference.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import { parseIgnoreFile, type IgnoreRule } from './ignore-rules.ts';
import type { ScanInputs } from './scan-inputs.ts';
import { parseFailOn } from './scan-policy.ts';
import type { scanSpec } from './scan-spec.ts';
import { parseTrivyReport } from './trivy-report.ts';

export type ScanInputValues = InputValues<typeof scanSpec.inputs>;

/**
 * Checks every scan input before Trivy runs, recording each problem in `context.problems`; reading
 * files (report, ignore file, layout) is the only I/O.
 */
export function validateScanInputs(values: ScanInputValues, context: ValidationContext): ScanInputs {
  const problems = context.problems;
  const target = checkTarget(values, context);
  const registryAuth = checkRegistryAuth(values, target, context);
  const { rules, file: ignoreFile } = loadIgnoreRules(values.ignoreFile, context);
  if (values.cyclonedxFile !== undefined && target?.kind === 'report') {
    problems.add('cyclonedx-file', 'needs a scan (layout or image); an existing report holds no package list');
  }
  if (values.trivyVersion !== undefined && !/^v?\d+\.\d+\.\d+$/.test(values.trivyVersion)) {
    problems.add('trivy-version', `'${values.trivyVersion}' is not a version such as 0.74.0`);
  }
  for (const repository of values.dbRepositories) {
    if (!parseImageReference(repository)) {
      problems.add('db-repositories', `'${repository}' is not an OCI repository reference such as ghcr.io/aquasecurity/trivy-db:2`);
    }
  }
  const outputFile = (input: string, value: string | undefined) => (value === undefined ? undefined : checkOutputPath({ input, value, kind: 'file' }, context));
  const home = context.env.HOME ?? os.homedir();
  const cacheDir =
    values.cacheDir !== undefined
      ? checkOutputPath({ input: 'cache-dir', value: values.cacheDir, kind: 'directory' }, context)
      : path.join(context.env.XDG_CACHE_HOME || path.join(home, '.cache'), 'trivy');

  return {
    // Only read when no problem was recorded, and then a target was found.
    target: target ?? { kind: 'layout', path: '' },
    registryAuth,
    scanners: values.scanners,
    clauses: problems.check(() => parseFailOn(values.failOn)) ?? [],
    ignoreUnfixed: values.ignoreUnfixed,
    ignoreRules: rules,
    ignoreFile,
    shownSeverities: values.severity,
    jsonFile: outputFile('json-file', values.jsonFile),
    sarifFile: outputFile('sarif-file', values.sarifFile),
    junitFile: outputFile('junit-file', values.junitFile),
    cyclonedxFile: outputFile('cyclonedx-file', values.cyclonedxFile),
    db: { repositories: values.dbRepositories, retries: values.dbRetries, cacheDir, offline: values.offline, maxAgeMs: values.dbMaxAge },
    trivyVersion: values.trivyVersion?.replace(/^v/, ''),
    insecureRegistry: values.insecureRegistry,
    timeoutMs: values.timeout,
  };
}

const targetInputs = ['layout', 'image', 'report'] as const;

/** Exactly one of layout, image or report, checked as far as reading it. */
function checkTarget(values: ScanInputValues, context: ValidationContext): ScanInputs['target'] | undefined {
  const problems = context.problems;
  const given = targetInputs.filter((name) => values[name] !== undefined);
  if (given.length === 0) {
    if (!targetInputs.some((name) => problems.has(name))) {
      problems.add('layout', 'give one of layout, image or report', 'pass the `layout` output of the build step');
    }
    return undefined;
  }
  if (given.length > 1) {
    problems.add(given[1] as string, `give only one of layout, image or report (got ${given.join(', ')})`);
    return undefined;
  }
  if (values.layout !== undefined) {
    const dir = checkReadPath({ input: 'layout', value: values.layout, kind: 'directory' }, context);
    if (problems.has('layout')) return undefined;
    if (!existsSync(path.join(dir, 'oci-layout')) || !existsSync(path.join(dir, 'index.json'))) {
      problems.add('layout', `${dir} is not an OCI image layout (no oci-layout/index.json)`, 'pass the `layout` output of the build step');
      return undefined;
    }
    return { kind: 'layout', path: dir };
  }
  if (values.image !== undefined) {
    if (!parseImageReference(values.image)) {
      problems.add('image', `'${values.image}' is not an image reference such as registry/repo:tag or registry/repo@sha256:...`);
      return undefined;
    }
    return { kind: 'image', reference: values.image };
  }
  if (values.report === undefined) return undefined;
  const file = checkReadPath({ input: 'report', value: values.report, kind: 'file' }, context);
  if (problems.has('report')) return undefined;
  const text = readFileSync(file, 'utf8');
  return problems.check(() => {
    parseTrivyReport(text, { input: 'report' });
    return { kind: 'report' as const, path: file, text };
  });
}

/**
 * How Trivy signs in to the registry of an `image`. The Azure inputs are checked whenever given, and
 * must be complete only when the scan signs in to Azure.
 */
function checkRegistryAuth(values: ScanInputValues, target: ScanInputs['target'] | undefined, context: ValidationContext): ScanInputs['registryAuth'] {
  const problems = context.problems;
  if (values.registryPassword !== undefined && values.registryUsername === undefined) problems.add('registry-username', 'is required with registry-password');
  if (values.registryUsername !== undefined && values.image === undefined && !problems.has('image')) {
    problems.add('registry-username', 'only applies when scanning an `image` from a registry');
  }
  const registry = target?.kind === 'image' ? parseImageReference(target.reference)?.registry : undefined;
  const mode = resolveRegistryAuthMode(values, registry);
  const auth = validateAzureAuth(values, context, { signIn: target?.kind === 'image' && mode === 'azure' });
  if (target?.kind !== 'image') return undefined;
  if (mode === 'basic') {
    if (values.registryUsername === undefined) {
      if (!problems.has('registry-username')) problems.add('registry-username', 'is required with registry-auth basic');
      return undefined;
    }
    return { kind: 'basic', username: values.registryUsername, password: values.registryPassword ?? '' };
  }
  if (mode === 'azure') {
    if (!registry) {
      problems.add('image', `'${target.reference}' names no registry to sign in to`);
      return undefined;
    }
    return { kind: 'azure', registry, auth };
  }
  return undefined;
}

/** `auto`: basic when a username is given, azure for ACR login servers, else none. */
function resolveRegistryAuthMode(values: ScanInputValues, registry: string | undefined): 'azure' | 'basic' | 'none' {
  if (values.registryAuth !== 'auto') return values.registryAuth;
  if (values.registryUsername !== undefined) return 'basic';
  return registry && isAcrLoginServer(registry) ? 'azure' : 'none';
}

/** The ignore file given, or the first of .trivyignore.yaml, .trivyignore.yml, .trivyignore in the workspace. */
function loadIgnoreRules(given: string | undefined, context: ValidationContext): { rules: IgnoreRule[]; file: string | undefined } {
  let file: string | undefined;
  if (given !== undefined) {
    const before = context.problems.count;
    file = checkReadPath({ input: 'ignore-file', value: given, kind: 'file' }, context);
    if (context.problems.count !== before) return { rules: [], file: undefined };
  } else {
    file = ['.trivyignore.yaml', '.trivyignore.yml', '.trivyignore'].map((name) => path.join(context.workspace, name)).find(isFile);
    if (file === undefined) return { rules: [], file: undefined };
  }
  const chosen = file;
  const rules = context.problems.check(() => parseIgnoreFile(readFileSync(chosen, 'utf8'), path.basename(chosen)));
  return rules ? { rules, file: chosen } : { rules: [], file: undefined };
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
