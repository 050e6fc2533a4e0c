import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ExecError, Helm, lastGoodRevision, ProcessRunner, Redactor, writeHelmValuesFiles, type HelmTarget } from '@slipway/core';
import { chartDir, describeSandbox, kubectl, uniqueName, type SandboxInfo } from '../sandbox/sandbox.ts';

/** sandbox.json may hold null for a variable the sandbox left unset; a child environment takes strings only. */
function sandboxStrings(sb: SandboxInfo): Record<string, string> {
  return Object.fromEntries(Object.entries(sb.env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

describeSandbox('the Helm adapter against the sandbox cluster', (sb: SandboxInfo) => {
  const namespaces: string[] = [];
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-helm-it-'));
  afterAll(async () => {
    for (const ns of namespaces) await kubectl(sb, ['delete', 'namespace', ns, '--wait=false']).catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The real ProcessRunner; its command log is kept to check what reached argv. */
  const adapter = (binary: string) => {
    const commands: string[] = [];
    const runner = new ProcessRunner({
      redactor: new Redactor(),
      log: { command: (line) => commands.push(line), debug: () => {} },
      // A private registry config, so a login here does not touch the user's own.
      baseEnv: { ...process.env, ...sandboxStrings(sb), HELM_REGISTRY_CONFIG: path.join(scratch, `${path.basename(path.dirname(binary))}-registry.json`) },
    });
    return { helm: new Helm(runner, binary), commands };
  };

  for (const [label, variable, major] of [
    ['helm 3', 'HELM3', 3],
    ['helm 4', 'HELM4', 4],
  ] as const) {
    it(`${label}: installs, upgrades, fails an upgrade and rolls back to the last good revision`, { timeout: 180_000 }, async () => {
      const { helm, commands } = adapter(sb.env[variable] as string);
      expect((await helm.version()).major).toBe(major);

      const ns = uniqueName(`helm${major}-adapter`);
      namespaces.push(ns);
      const target: HelmTarget = { namespace: ns, kubeconfig: sb.env.KUBECONFIG, kubeContext: sb.env.KUBE_CONTEXT };
      const chart = { kind: 'path', path: chartDir } as const;
      const values = await writeHelmValuesFiles([{ replicas: 1, version: 'v1' }], scratch);
      try {
        expect(statSync(values.dir).mode & 0o777).toBe(0o700);
        expect(statSync(values.files[0] as string).mode & 0o777).toBe(0o600);
        await helm.upgrade({
          release: 'demo',
          chart,
          ...target,
          createNamespace: true,
          valuesFiles: values.files,
          wait: true,
          timeoutMs: 60_000,
          description: 'first',
        });
      } finally {
        await values.cleanup();
      }
      expect(() => statSync(values.dir)).toThrow();
      expect(await helm.status('demo', target)).toMatchObject({ name: 'demo', namespace: ns, revision: 1, status: 'deployed', description: 'first' });
      expect(await helm.getValues('demo', target)).toEqual({ replicas: 1, version: 'v1' });

      // 2: a healthy upgrade.
      await helm.upgrade({ release: 'demo', chart, ...target, set: { replicas: '1', version: 'v2' }, wait: true, timeoutMs: 60_000 });
      // 3: pods that never become Ready fail Helm's wait.
      const failed = helm.upgrade({
        release: 'demo',
        chart,
        ...target,
        set: { replicas: '1', version: 'v3', failureMode: 'never-ready' },
        wait: true,
        timeoutMs: 5_000,
      });
      await expect(failed).rejects.toBeInstanceOf(ExecError);
      expect(await helm.status('demo', target)).toMatchObject({ revision: 3, status: 'failed' });

      const history = await helm.history('demo', target, 10);
      expect(history.map((entry) => [entry.revision, entry.status])).toEqual([
        [1, 'superseded'],
        [2, 'deployed'],
        [3, 'failed'],
      ]);
      const good = lastGoodRevision(history);
      expect(good).toBe(2);

      await helm.rollback({ release: 'demo', revision: good as number, ...target, wait: true, timeoutMs: 60_000 });
      expect(await helm.status('demo', target)).toMatchObject({ revision: 4, status: 'deployed' });
      expect(await helm.getValues('demo', target)).toEqual({ replicas: 1, version: 'v2' });
      expect(await helm.getManifest('demo', target, 4)).toMatch(/version: "?v2"?/);
      expect(await helm.getManifest('demo', target, 3)).toMatch(/version: "?v3"?/);

      // Helm's own rollback-on-failure, under the flag this major knows (Helm 4 rejects --atomic).
      const atomic = helm.upgrade({ release: 'demo', chart, ...target, set: { replicas: '1', failureMode: 'never-ready' }, atomic: true, timeoutMs: 5_000 });
      await expect(atomic).rejects.toBeInstanceOf(ExecError);
      const afterAtomic = await helm.history('demo', target);
      expect(afterAtomic.at(-2)).toMatchObject({ revision: 5, status: 'failed' });
      expect(afterAtomic.at(-1)).toMatchObject({ revision: 6, status: 'deployed' });

      // The canary's view: the chart rendered with new values, the release untouched.
      const rendered = await helm.template({ release: 'demo', chart, namespace: ns, set: { replicas: '2', version: 'canary' }, isUpgrade: true });
      expect(rendered).toMatch(/kind: Deployment/);
      expect(rendered).toMatch(/version: "?canary"?/);
      // A comma in a --set value reaches the chart as written, not split into a second key.
      const escaped = await helm.template({ release: 'demo', chart, namespace: ns, set: { 'podAnnotations.hosts': 'a.io,b.io' } });
      expect(escaped).toMatch(/hosts: "?a\.io,b\.io"?/);
      expect((await helm.status('demo', target)).revision).toBe(6);

      await helm.uninstall({ release: 'demo', ...target, wait: true, timeoutMs: 60_000 });
      await expect(helm.status('demo', target)).rejects.toBeInstanceOf(ExecError);
      await helm.uninstall({ release: 'demo', ...target, ignoreNotFound: true });
      expect(commands.some((line) => line.includes(major === 3 ? '--atomic' : '--rollback-on-failure'))).toBe(true);
    });

    it(`${label}: signs in to an OCI registry with the password on stdin only`, async () => {
      const { helm, commands } = adapter(sb.env[variable] as string);
      const password = sb.env.REGISTRY_AUTH_PASSWORD as string;
      await helm.registryLogin(
        { host: sb.env.REGISTRY_AUTH as string, username: sb.env.REGISTRY_AUTH_USER as string, caFile: sb.env.SANDBOX_CA_CERT },
        password,
      );
      expect(commands.join('\n')).toContain('--password-stdin');
      expect(commands.join('\n')).not.toContain(password);
      await expect(
        helm.registryLogin(
          { host: sb.env.REGISTRY_AUTH as string, username: sb.env.REGISTRY_AUTH_USER as string, caFile: sb.env.SANDBOX_CA_CERT },
          'wrong-password',
        ),
      ).rejects.toBeInstanceOf(ExecError);
    });
  }
});
