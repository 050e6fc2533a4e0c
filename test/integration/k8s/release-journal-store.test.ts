import type { V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KubeApi } from '@slipway/core';
import {
  JournalConflictError,
  JournalCorruptError,
  JournalNameTakenError,
  ReleaseJournalStore,
  type StoredJournal,
} from '../../../packages/core/src/k8s/release-journal-store.ts';
import { describeSandbox, kubectl, kubectlJson, uniqueName, type SandboxInfo } from '../sandbox/sandbox.ts';

const journal = (phase: string, revision: number) => ({
  version: 1,
  release: 'shop',
  phase,
  revisions: { before: revision - 1, attempted: revision },
  run: { id: '1001-1', host: 'github', url: 'https://github.com/acme/shop/actions/runs/1001' },
  timeline: [{ at: '2026-03-01T10:00:00.000Z', phase, message: `helm upgrade to revision ${revision}` }],
});

describeSandbox('release journal store against the sandbox API server (issue #11)', (sb: SandboxInfo) => {
  const namespace = uniqueName('journal');
  let api: KubeApi;
  const store = (release: string) =>
    new ReleaseJournalStore(api, namespace, release, {
      now: () => new Date('2026-03-01T10:00:05.000Z'),
      summarise: (data) => `${(data as { phase?: string }).phase}: revision\n${(data as { revisions?: { attempted?: number } }).revisions?.attempted}`,
    });
  const configMapOf = (release: string) => kubectlJson<V1ConfigMap>(sb, ['get', 'configmap', `slipway-journal-${release}`, '-n', namespace]);

  beforeAll(async () => {
    await kubectl(sb, ['create', 'namespace', namespace]);
    api = await KubeApi.open({ kubeconfigFile: sb.env.KUBECONFIG ?? '', timeoutMs: 10_000, signal: new AbortController().signal });
  });

  afterAll(async () => {
    await kubectl(sb, ['delete', 'namespace', namespace, '--wait=false']);
  });

  it('creates, reads and replaces a journal a human can read with kubectl', async () => {
    const shop = store('shop');
    expect(shop.name).toBe('slipway-journal-shop');
    expect(await shop.read()).toBeUndefined();

    const first = await shop.write(journal('upgrading', 7), undefined);
    expect(first).toEqual({ data: journal('upgrading', 7), resourceVersion: expect.stringMatching(/^\d+$/), updatedAt: '2026-03-01T10:00:05.000Z' });
    const configMap = await configMapOf('shop');
    expect(configMap.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'slipway',
      'slipway.dev/release': 'shop',
      'slipway.dev/kind': 'deploy-journal',
    });
    expect(configMap.metadata?.annotations).toMatchObject({
      'slipway.dev/summary': 'upgrading: revision 7',
      'slipway.dev/updated-at': '2026-03-01T10:00:05.000Z',
    });
    expect(configMap.data?.['journal.json']).toBe(`${JSON.stringify(journal('upgrading', 7), null, 2)}\n`);
    // Pretty JSON shows as a block of lines in YAML, not one escaped string.
    const yaml = await kubectl(sb, ['get', 'configmap', 'slipway-journal-shop', '-n', namespace, '-o', 'yaml']);
    expect(yaml).toContain('journal.json: |');
    expect(yaml).toContain('"phase": "upgrading",');

    expect(await shop.read()).toEqual(first);
    const second = await shop.write(journal('deployed', 7), first);
    expect(second.resourceVersion).not.toBe(first.resourceVersion);
    expect((await shop.read())?.data).toEqual(journal('deployed', 7));
    expect((await configMapOf('shop')).metadata?.annotations?.['slipway.dev/summary']).toBe('deployed: revision 7');
  });

  it('refuses a write over a version someone else changed, created or removed meanwhile', async () => {
    const mine = store('cart');
    const theirs = store('cart');
    const created = await mine.write(journal('upgrading', 3), undefined);
    const seenByBoth: StoredJournal | undefined = await theirs.read();
    await theirs.write(journal('rolling-back', 3), seenByBoth);

    const conflict = await mine.write(journal('deployed', 3), created).catch((caught: unknown) => caught);
    expect(conflict).toBeInstanceOf(JournalConflictError);
    expect((conflict as JournalConflictError).code).toBe('JOURNAL_CONFLICT');
    expect((conflict as JournalConflictError).exitCode).toBe(3);
    expect((conflict as Error).message).toBe(
      `the deploy journal slipway-journal-cart in namespace '${namespace}' was changed by someone else since it was read`,
    );
    // Theirs stands.
    expect((await mine.read())?.data).toEqual(journal('rolling-back', 3));

    // A second "first" write finds one there.
    await expect(mine.write(journal('upgrading', 4), undefined)).rejects.toThrow(/was created by someone else meanwhile/);

    const latest = await mine.read();
    await theirs.remove();
    await expect(mine.write(journal('deployed', 3), latest)).rejects.toThrow(/was removed since it was read/);
    expect(await mine.read()).toBeUndefined();
  });

  it('never reads, overwrites or deletes a ConfigMap of that name that Slipway did not create', async () => {
    await kubectl(sb, ['create', 'configmap', 'slipway-journal-legacy', '-n', namespace, '--from-literal=journal.json={"mine":true}']);
    const legacy = store('legacy');
    const refused = await legacy.read().catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(JournalNameTakenError);
    expect((refused as JournalNameTakenError).code).toBe('JOURNAL_NAME_TAKEN');
    expect((refused as Error).message).toContain('is not a Slipway deploy journal (it has no app.kubernetes.io/managed-by: slipway label)');
    await expect(legacy.write(journal('upgrading', 1), undefined)).rejects.toBeInstanceOf(JournalNameTakenError);
    await expect(legacy.remove()).rejects.toBeInstanceOf(JournalNameTakenError);
    const untouched = await configMapOf('legacy');
    expect(untouched.data).toEqual({ 'journal.json': '{"mine":true}' });
    expect(untouched.metadata?.labels).toBeUndefined();
  });

  it('reports a journal whose JSON is broken, and overwrites it only when asked to with its version', async () => {
    await kubectl(sb, ['create', 'configmap', 'slipway-journal-broken', '-n', namespace, '--from-literal=journal.json={"phase": "upgra']);
    await kubectl(sb, ['label', 'configmap', 'slipway-journal-broken', '-n', namespace, 'app.kubernetes.io/managed-by=slipway']);
    const broken = store('broken');
    const error = await broken.read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JournalCorruptError);
    const corrupt = error as JournalCorruptError;
    expect(corrupt.code).toBe('JOURNAL_CORRUPT');
    expect(corrupt.message).toBe(
      `the deploy journal slipway-journal-broken in namespace '${namespace}' holds no valid JSON in journal.json: "{\\"phase\\": \\"upgra"`,
    );
    expect(corrupt.hint).toContain(`kubectl get configmap slipway-journal-broken -n ${namespace} -o yaml`);

    await broken.write(journal('not-deployed', 2), { data: undefined, resourceVersion: corrupt.resourceVersion });
    expect((await broken.read())?.data).toEqual(journal('not-deployed', 2));
  });

  it('removes a journal, and removing none is fine', async () => {
    const basket = store('basket');
    await basket.write(journal('deployed', 1), undefined);
    await basket.remove();
    expect(await basket.read()).toBeUndefined();
    expect((await kubectl(sb, ['get', 'configmap', 'slipway-journal-basket', '-n', namespace, '--ignore-not-found', '-o', 'name'])).trim()).toBe('');
    await basket.remove();
  });
});
