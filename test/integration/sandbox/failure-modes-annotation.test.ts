import { afterAll, beforeAll, expect, it } from 'vitest';
import { chartDir, describeSandbox, kubectl, kubectlJson, podReady, runOk, uniqueName, waitFor, type PodList, type SandboxInfo } from './sandbox.ts';
import { FAILURE_MODE, container, createPod, getPod, requireLoadedStages, sleep, type StagedPod } from './kwok-stages.ts';

// Issue #11: the failure modes of test/sandbox/kwok/stages.yaml selected by the pod ANNOTATION
// sandbox.slipway.dev/failure-mode (no label), as a chart written elsewhere can only do through its
// podAnnotations value. Needs a sandbox whose cluster was created from the issue #11 stages.
describeSandbox('sandbox KWOK failure modes selected by pod annotation', (sb: SandboxInfo) => {
  const ns = uniqueName('failure-annot');
  beforeAll(async () => {
    requireLoadedStages(sb, [`.metadata.annotations["${FAILURE_MODE}"]`]);
    await kubectl(sb, ['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await kubectl(sb, ['delete', 'namespace', ns, '--wait=false']).catch(() => {});
  });

  const noModeLabel = (p: StagedPod) => expect(p.metadata.labels?.[FAILURE_MODE]).toBeUndefined();

  it('crashloop by annotation: Running, NotReady, CrashLoopBackOff with a rising restartCount', async () => {
    await createPod(sb, ns, 'crash', { annotations: { [FAILURE_MODE]: 'crashloop' } });
    const first = await waitFor('a crash-looping pod', async () => {
      const p = await getPod(sb, ns, 'crash');
      return container(p)?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    });
    noModeLabel(first);
    expect(first.status.phase).toBe('Running');
    expect(podReady(first)).toBe(false);
    expect(container(first)?.lastState?.terminated?.exitCode).toBe(1);
    const before = container(first)!.restartCount;
    const later = await waitFor(
      'restartCount to rise',
      async () => {
        const p = await getPod(sb, ns, 'crash');
        return container(p)!.restartCount >= before + 2 ? p : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(container(later)?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(podReady(later)).toBe(false);
  });

  it("never-ready through the demo chart's podAnnotations (the knob a foreign chart has)", async () => {
    // failureMode stays at its default (none): only the annotation asks for the failure.
    await runOk(sb, sb.env.HELM3!, [
      'install',
      'foreign',
      chartDir,
      '-n',
      ns,
      '--set',
      'replicas=1,tests.enabled=false',
      '--set-string',
      `podAnnotations.${FAILURE_MODE.replaceAll('.', '\\.')}=never-ready`,
    ]);
    const pod = async () =>
      (await kubectlJson<PodList>(sb, ['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/instance=foreign'])).items[0] as StagedPod | undefined;
    const p = await waitFor('a running, unready pod', async () => {
      const p = await pod();
      return p?.status.phase === 'Running' ? p : undefined;
    });
    noModeLabel(p);
    expect(p.metadata.annotations?.[FAILURE_MODE]).toBe('never-ready');
    expect(podReady(p)).toBe(false);
    expect(container(p)?.state?.running).toBeDefined();
    expect(container(p)?.started).toBe(true);
    expect(container(p)?.ready).toBe(false);
    // Still unready a while later (nothing flips it).
    await sleep(3000);
    const again = (await pod())!;
    expect(again.status.phase).toBe('Running');
    expect(podReady(again)).toBe(false);
  });

  it('image-pull by annotation: Pending with ErrImagePull, then ImagePullBackOff, and it stays there', async () => {
    await createPod(sb, ns, 'pull', { annotations: { [FAILURE_MODE]: 'image-pull' } });
    const reasons = new Set<string>();
    const phases = new Set<string>();
    await waitFor(
      'ImagePullBackOff',
      async () => {
        const p = await getPod(sb, ns, 'pull');
        const reason = container(p)?.state?.waiting?.reason;
        if (reason) reasons.add(reason);
        if (reason) phases.add(p.status.phase ?? 'unknown');
        return reason === 'ImagePullBackOff' ? true : undefined;
      },
      { intervalMs: 200 },
    );
    expect([...reasons]).toContain('ErrImagePull');
    expect([...phases]).toEqual(['Pending']);
    // pod-ready skips image-pull pods by annotation too: once in back-off, no stage moves the pod on.
    await sleep(2500);
    const p = await getPod(sb, ns, 'pull');
    noModeLabel(p);
    expect(p.status.phase).toBe('Pending');
    expect(podReady(p)).toBe(false);
    expect(container(p)?.state?.waiting?.reason).toBe('ImagePullBackOff');
  });

  it('exit-after by annotation: with restartPolicy Never the pod Fails with the annotated exit code', async () => {
    await createPod(sb, ns, 'oneshot', {
      restartPolicy: 'Never',
      annotations: { [FAILURE_MODE]: 'exit-after', 'sandbox.slipway.dev/exit-after': '1s', 'sandbox.slipway.dev/exit-code': '4' },
    });
    const failed = await waitFor(
      'phase Failed',
      async () => {
        const p = await getPod(sb, ns, 'oneshot');
        return p.status.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(container(failed)?.state?.terminated?.exitCode).toBe(4);
    expect(container(failed)?.state?.terminated?.reason).toBe('Error');
  });

  it('the label wins when label and annotation disagree', async () => {
    await createPod(sb, ns, 'both', { labels: { [FAILURE_MODE]: 'never-ready' }, annotations: { [FAILURE_MODE]: 'crashloop' } });
    const p = await waitFor('a running pod', async () => {
      const p = await getPod(sb, ns, 'both');
      return p.status.phase === 'Running' ? p : undefined;
    });
    // crashloop would report CrashLoopBackOff and restarts within 2 s; never-ready keeps it running.
    await sleep(3000);
    const again = await getPod(sb, ns, 'both');
    for (const q of [p, again]) {
      expect(container(q)?.state?.running).toBeDefined();
      expect(container(q)?.restartCount).toBe(0);
      expect(podReady(q)).toBe(false);
    }
  });

  it('pods with neither label nor annotation stay healthy', async () => {
    await createPod(sb, ns, 'plain', { annotations: { 'example.com/unrelated': 'crashloop' } });
    const p = await waitFor('a Ready pod', async () => {
      const p = await getPod(sb, ns, 'plain');
      return podReady(p) ? p : undefined;
    });
    expect(p.status.phase).toBe('Running');
    expect(container(p)?.restartCount).toBe(0);
  });
});
