import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The Rego package prefix of Slipway's own checks, given to Trivy as `--check-namespaces`. */
export const slipwayCheckNamespace = 'slipway';

/**
 * Checks Slipway adds to Trivy's, for best practices trivy-checks does not cover. Trivy's Kubernetes
 * checks (trivy-checks, embedded in Trivy 0.74) check root, privilege escalation, limits and host paths,
 * but nothing checks probes; a canary or a rollout watch needs readiness to mean something.
 * Written as Trivy custom checks (METADATA + `deny`), so they are reported, ignored and gated exactly like
 * Trivy's own; kept as strings so the bundled actions carry them.
 */
export const slipwayChecks: ReadonlyArray<{ id: string; file: string; rego: string }> = [
  {
    id: 'SLIPWAY-K8S-0001',
    file: 'readiness-probe.rego',
    rego: `# METADATA
# title: "Workload container has no readiness probe"
# description: "Without a readiness probe a pod gets traffic as soon as its containers start, and a rollout cannot tell a healthy new version from a broken one."
# scope: package
# schemas:
# - input: schema["kubernetes"]
# custom:
#   id: SLIPWAY-K8S-0001
#   severity: MEDIUM
#   recommended_action: "Set 'readinessProbe' on every container of the workload (not on init containers)."
#   input:
#     selector:
#     - type: kubernetes
#       subtypes:
#         - kind: deployment
#         - kind: statefulset
#         - kind: daemonset
package slipway.kubernetes.readiness_probe

import rego.v1

import data.lib.kubernetes

deny contains res if {
	kubernetes.kind in {"Deployment", "StatefulSet", "DaemonSet"}
	some container in kubernetes.object.spec.template.spec.containers
	not container.readinessProbe
	msg := sprintf("Container '%s' of %s '%s' should set 'readinessProbe'", [container.name, kubernetes.kind, kubernetes.name])
	res := result.new(msg, container)
}
`,
  },
];

/** Writes Slipway's checks into `dir` (created); returns what to pass to Trivy. */
export async function writeSlipwayChecks(dir: string): Promise<{ paths: string[]; namespaces: string[] }> {
  await mkdir(dir, { recursive: true });
  for (const check of slipwayChecks) await writeFile(path.join(dir, check.file), check.rego);
  return { paths: [dir], namespaces: [slipwayCheckNamespace] };
}
