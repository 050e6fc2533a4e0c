import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../errors/index.ts';
import type { InputValues } from '../../inputs/index.ts';
import { parseImageReference } from '../../oci/reference.ts';
import { validateAzureAuth } from '../../azure/azure-auth-inputs.ts';
import { isAcrLoginServer } from '../../azure/acr-refresh-token.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import { parseIgnoreFile, type IgnoreRule } from './ignore-rules.ts';
import { parseFailOn } from './scan-policy.ts';
import type { ScanInputs } from './scan-inputs.ts';
import type { scanSpec } from './scan-spec.ts';
import { isSeverity, type Severity } from './severity.ts';
import { parseTrivyReport } from './trivy-report.ts';

export type ScanInputValues = InputValues<typeof scanSpec.inputs>;

/** Checks every scan input before Trivy runs; reading files (report, ignore file) is the only I/O. */
export function validateScanInputs(values: ScanInputValues, context: ValidationContext): ScanInputs {
  const given = (['layout', 'image', 'report'] as const).filter((name) => values[name] !== undefined);
  if (given.length !== 1) {
    throw new InputError(given.length === 0 ? 'layout' : given[1] as string, given.length === 0 ? 'give one of layout, image or report' : `give only one of layout, image or report (got ${given.join(', ')})`);
  }
  const resolve = (file: string) => path.resolve(context.workspace, file);

  let target: ScanInputs['target'];
  if (values.layout !== undefined) {
    const dir = resolve(values.layout);
    if (!existsSync(path.join(dir, 'oci-layout')) || !existsSync(path.join(dir, 'index.json'))) {
      throw new InputError('layout', `${dir} is not an OCI image layout (no oci-layout/index.json)`, { hint: 'pass the `layout` output of the build step' });
    }
    target = { kind: 'layout', path: dir };
  } else if (values.image !== undefined) {
    if (!parseImageReference(values.image)) throw new InputError('image', `'${values.image}' is not an image reference such as registry/repo:tag or registry/repo@sha256:...`);
    target = { kind: 'image', reference: values.image };
  } else {
    const file = resolve(values.report as string);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new InputError('report', `cannot read ${file}`, { cause: error });
    }
    parseTrivyReport(text, { input: 'report' });
    target = { kind: 'report', path: file, text };
  }

  if (values.registryPassword !== undefined && values.registryUsername === undefined) {
    throw new InputError('registry-username', 'is required with registry-password');
  }
  if (values.registryUsername !== undefined && target.kind !== 'image') {
    throw new InputError('registry-username', 'only applies when scanning an `image` from a registry');
  }
  let registryAuth: ScanInputs['registryAuth'];
  if (target.kind === 'image') {
    const registry = parseImageReference(target.reference)?.registry;
    const mode = values.registryAuth === 'auto' ? (values.registryUsername !== undefined ? 'basic' : registry && isAcrLoginServer(registry) ? 'azure' : 'none') : values.registryAuth;
    if (mode === 'basic') {
      if (values.registryUsername === undefined) throw new InputError('registry-username', 'is required with registry-auth basic');
      registryAuth = { kind: 'basic', username: values.registryUsername, password: values.registryPassword ?? '' };
    } else if (mode === 'azure') {
      if (!registry) throw new InputError('image', `'${target.reference}' names no registry to sign in to`);
      registryAuth = {
        kind: 'azure',
        registry,
        auth: validateAzureAuth(values, resolve, existsSync),
      };
    }
  }

  for (const scanner of values.scanners) {
    if (!['vuln', 'secret', 'misconfig'].includes(scanner)) throw new InputError('scanners', `unknown scanner '${scanner}' (known: vuln, secret, misconfig)`);
  }
  const shownSeverities = values.severity.map((name) => {
    const upper = name.toUpperCase();
    if (!isSeverity(upper)) throw new InputError('severity', `unknown severity '${name}' (known: UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)`);
    return upper;
  }) as Severity[];

  const { rules, file: ignoreFile } = loadIgnoreRules(values.ignoreFile, context.workspace);

  if (values.cyclonedxFile !== undefined && target.kind === 'report') {
    throw new InputError('cyclonedx-file', 'needs a scan (layout or image); an existing report holds no package list');
  }
  const outputFile = (input: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const file = resolve(value);
    if (existsSync(file) && statSync(file).isDirectory()) throw new InputError(input, `${file} is a directory; give a file path`);
    return file;
  };
  if (values.trivyVersion !== undefined && !/^v?\d+\.\d+\.\d+$/.test(values.trivyVersion)) {
    throw new InputError('trivy-version', `'${values.trivyVersion}' is not a version such as 0.74.0`);
  }
  for (const repository of values.dbRepositories) {
    if (!parseImageReference(repository)) throw new InputError('db-repositories', `'${repository}' is not an OCI repository reference such as ghcr.io/aquasecurity/trivy-db:2`);
  }
  const home = context.env.HOME ?? os.homedir();
  const cacheDir = values.cacheDir !== undefined ? resolve(values.cacheDir) : path.join(context.env.XDG_CACHE_HOME || path.join(home, '.cache'), 'trivy');

  return {
    target,
    registryAuth,
    scanners: values.scanners,
    clauses: parseFailOn(values.failOn),
    ignoreUnfixed: values.ignoreUnfixed,
    ignoreRules: rules,
    ignoreFile,
    shownSeverities,
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

function loadIgnoreRules(given: string | undefined, workspace: string): { rules: IgnoreRule[]; file: string | undefined } {
  const candidates = given !== undefined ? [path.resolve(workspace, given)] : ['.trivyignore.yaml', '.trivyignore.yml', '.trivyignore'].map((name) => path.join(workspace, name));
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new InputError('ignore-file', `cannot read ${file}`, { cause: error });
    }
    return { rules: parseIgnoreFile(text, path.basename(file)), file };
  }
  if (given !== undefined) throw new InputError('ignore-file', `${candidates[0]} does not exist`);
  return { rules: [], file: undefined };
}
