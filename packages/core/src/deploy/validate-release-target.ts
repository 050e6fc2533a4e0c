import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkReadPath } from '../inputs/index.ts';
import { Kubeconfig, KubeconfigError } from '../k8s/kubeconfig.ts';
import type { ValidationContext } from '../steps/framework/validation-context.ts';
import type { ReleaseTarget } from './release-target.ts';

/** What validateReleaseTarget reads: the values of releaseTargetInputs. */
export interface ReleaseTargetValues {
  /** Undefined only when the parser already refused it. */
  release: string | undefined;
  namespace: string | undefined;
  kubeconfig: string | undefined;
  kubeContext: string | undefined;
  lockWait: number;
}

/**
 * Helm's release name rule (pkg/chartutil ValidateReleaseName): a DNS-1123 subdomain of at most 53
 * characters, because Helm names Secrets `sh.helm.release.v1.<name>.v<revision>` and labels after it.
 */
const releaseNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const maxReleaseNameLength = 53;
// Kubernetes namespace names are DNS-1123 labels.
const namespacePattern = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** The problem with a release name, or undefined when Helm accepts it. */
export function releaseNameProblem(name: string): string | undefined {
  if (name.length > maxReleaseNameLength) return `'${name}' is ${name.length} characters; Helm release names are at most ${maxReleaseNameLength}`;
  if (!releaseNamePattern.test(name)) {
    return `'${name}' is not a Helm release name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * Checks release, namespace, kubeconfig and kube-context, reading the kubeconfig (no request is sent):
 * it must exist, parse, and name the context; its context's namespace is the default namespace.
 */
export function validateReleaseTarget(values: ReleaseTargetValues, context: ValidationContext): ReleaseTarget {
  const problems = context.problems;
  // A required input the parser refused arrives undefined, its problem already recorded.
  const releaseProblem = values.release === undefined ? undefined : releaseNameProblem(values.release);
  if (releaseProblem) problems.add('release', releaseProblem);

  const kubeconfig = kubeconfigPath(values.kubeconfig, context);
  let contextNamespace: string | undefined;
  if (kubeconfig !== undefined) contextNamespace = readContextNamespace(kubeconfig, values, context);

  const namespace = values.namespace ?? contextNamespace ?? 'default';
  if (!namespacePattern.test(namespace)) {
    problems.add(
      values.namespace === undefined ? 'kubeconfig' : 'namespace',
      `'${namespace}' is not a Kubernetes namespace name (a DNS-1123 label: at most 63 lowercase letters, digits and '-')`,
    );
  }
  return { release: values.release ?? '', namespace, kubeconfig: kubeconfig ?? '', kubeContext: values.kubeContext, lockWaitMs: values.lockWait };
}

/** kubeconfig, else the first file of $KUBECONFIG (as kubectl merges them, the first wins for the current context), else ~/.kube/config. */
function kubeconfigPath(given: string | undefined, context: ValidationContext): string | undefined {
  if (given !== undefined) {
    const before = context.problems.count;
    const file = checkReadPath({ input: 'kubeconfig', value: given, kind: 'file' }, context);
    return context.problems.count === before ? file : undefined;
  }
  const fromEnv = context.env.KUBECONFIG?.split(path.delimiter).find(Boolean);
  const file = fromEnv ?? path.join(context.env.HOME ?? os.homedir(), '.kube', 'config');
  const before = context.problems.count;
  checkReadPath({ input: 'kubeconfig', value: file, kind: 'file' }, context);
  if (context.problems.count !== before) return undefined;
  return path.resolve(context.workspace, file);
}

function readContextNamespace(file: string, values: ReleaseTargetValues, context: ValidationContext): string | undefined {
  try {
    const config = Kubeconfig.parse(readFileSync(file, 'utf8'), file);
    if (values.kubeContext !== undefined) {
      const named = config.context(values.kubeContext);
      if (!named) {
        context.problems.add('kube-context', `${file} has no context '${values.kubeContext}'`);
        return undefined;
      }
      return named.namespace;
    }
    return config.currentContext.namespace;
  } catch (error) {
    if (!(error instanceof KubeconfigError)) throw error;
    context.problems.add('kubeconfig', error.message, error.hint);
    return undefined;
  }
}
