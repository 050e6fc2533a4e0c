import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aksContextSpec, InputProblems, parseAksResourceId, parseInputs, runStep, validateAksContextInputs } from '@slipway/core';
import { FakeHost } from '../../support/fake-host.ts';

const sub = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const tenant = '11111111-2222-3333-4444-555555555555';
const client = '66666666-7777-8888-9999-000000000000';
const signIn = { auth: 'client-secret', 'tenant-id': tenant, 'client-id': client, 'client-secret': 'sandbox-secret-value' };
const cluster = { 'subscription-id': sub, 'resource-group': 'rg-platform', 'cluster-name': 'aks-prod' };
let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-validate-'));
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function validate(raw: Record<string, string>, env: Record<string, string> = {}, federatedTokens?: boolean) {
  const problems = new InputProblems();
  const values = parseInputs(aksContextSpec.inputs, (name) => raw[name], problems);
  const inputs = validateAksContextInputs(values, {
    workspace,
    tempDir: path.join(workspace, 'temp'),
    env,
    problems,
    ...(federatedTokens === undefined ? {} : { federatedTokens }),
  });
  return { inputs, problems: problems.list.map((problem) => `${problem.input}: ${problem.message}`) };
}

describe('parseAksResourceId', () => {
  it.each([
    [`/subscriptions/${sub}/resourceGroups/rg-platform/providers/Microsoft.ContainerService/managedClusters/aks-prod`, 'rg-platform', 'aks-prod'],
    // ARM matches the fixed segments in any case, and `az aks show --query id` prints them in lower case.
    [`/subscriptions/${sub}/resourcegroups/RG.Platform(1)/providers/microsoft.containerservice/managedclusters/aks_prod-2`, 'RG.Platform(1)', 'aks_prod-2'],
  ])('reads %s', (id, resourceGroup, clusterName) => {
    expect(parseAksResourceId(id)).toEqual({ cluster: { subscriptionId: sub, resourceGroup, clusterName } });
  });

  it.each([
    ['aks-prod', /is not an AKS cluster resource ID/],
    [`/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`, /is not an AKS cluster resource ID/],
    [`/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks/agentPools/np1`, /is not an AKS cluster resource ID/],
    [`/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/`, /is not an AKS cluster resource ID/],
    [`/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/fleet1`, /names an AKS fleet/],
    ['/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks', /'not-a-guid' is not a subscription id/],
    [`/subscriptions/${sub}/resourceGroups/rg./providers/Microsoft.ContainerService/managedClusters/aks`, /ends with '\.'/],
    [`/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/-aks`, /is not an AKS cluster name/],
  ])('refuses %s', (id, problem) => {
    const parsed = parseAksResourceId(id);
    expect('problems' in parsed && parsed.problems.join('; ')).toMatch(problem);
  });
});

describe('validateAksContextInputs', () => {
  it('takes a cluster by its three parts, or by resource ID, with the defaults', () => {
    const byParts = validate({ ...cluster, ...signIn });
    expect(byParts.problems).toEqual([]);
    expect(byParts.inputs).toMatchObject({
      cluster: { subscriptionId: sub, resourceGroup: 'rg-platform', clusterName: 'aks-prod' },
      admin: false,
      publicFqdn: false,
      namespace: undefined,
      kubeAuth: 'slipway',
      armEndpoint: 'https://management.azure.com',
      timeoutMs: 30_000,
      keepKubeconfig: false,
    });
    const byId = validate({
      'resource-id': `/subscriptions/${sub}/resourceGroups/rg-platform/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
      'azure-environment': 'AzureUSGovernment',
      namespace: 'team-a',
      ...signIn,
    });
    expect(byId.problems).toEqual([]);
    expect(byId.inputs).toMatchObject({ cluster: byParts.inputs.cluster, namespace: 'team-a', armEndpoint: 'https://management.usgovcloudapi.net' });
  });

  it('names every missing part of the cluster, and every other problem, at once', () => {
    const { problems } = validate({ 'resource-group': 'rg', namespace: 'Team_A', 'azure-environment': 'AzureMoonCloud', 'arm-endpoint': 'http://arm.local' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'azure-environment: expected one of AzureCloud, AzureChinaCloud, AzureUSGovernment, got "AzureMoonCloud"',
        'subscription-id: is required (or give resource-id)',
        'cluster-name: is required (or give resource-id)',
        expect.stringMatching(/^namespace: 'Team_A' is not a Kubernetes namespace name \(a DNS-1123 label/),
        'arm-endpoint: must be an https:// URL',
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('refuses a resource ID together with the parts it replaces, and malformed parts', () => {
    const both = validate({
      'resource-id': `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks`,
      'cluster-name': 'aks',
      ...signIn,
    });
    expect(both.problems).toEqual(['resource-id: give either resource-id or cluster-name, not both']);
    const malformed = validate({ 'subscription-id': 'prod', 'resource-group': 'rg/x', 'cluster-name': 'a'.repeat(64), ...signIn });
    expect(malformed.problems).toEqual([
      "subscription-id: 'prod' is not a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)",
      "resource-group: 'rg/x' is not a resource group name (1-90 letters, digits, '_', '(', ')', '-' or '.')",
      `cluster-name: '${'a'.repeat(64)}' is not an AKS cluster name (1-63 letters, digits, '-' or '_', starting and ending with a letter or digit)`,
    ]);
  });

  it.each(['default', 'kube-system', 'a', `n${'1'.repeat(62)}`])('accepts the namespace %s', (namespace) => {
    expect(validate({ ...cluster, ...signIn, namespace }).problems).toEqual([]);
  });

  it.each(['-team', 'team-', 'team.a', 'TEAM', `n${'1'.repeat(63)}`])('refuses the namespace %s', (namespace) => {
    expect(validate({ ...cluster, ...signIn, namespace }).problems).toEqual([expect.stringMatching(/^namespace: .* is not a Kubernetes namespace name/)]);
  });

  it('needs the sign-in to be complete before anything is sent', () => {
    expect(validate({ ...cluster, auth: 'client-secret' }).problems).toEqual([
      'tenant-id: is required with auth client-secret',
      'client-id: is required with auth client-secret',
      'client-secret: is required with auth client-secret',
    ]);
    expect(validate({ ...cluster, auth: 'oidc', 'tenant-id': tenant, 'client-id': client }, {}, false).problems).toEqual([
      'auth: oidc needs a host that can mint ID tokens',
    ]);
  });

  it('kube-auth kubelogin: finds kubelogin on PATH, and refuses a sign-in it cannot repeat', () => {
    const bin = path.join(workspace, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'kubelogin'), '#!/bin/sh\n');
    chmodSync(path.join(bin, 'kubelogin'), 0o755);
    const found = validate({ ...cluster, ...signIn, 'kube-auth': 'kubelogin' }, { PATH: `/nonexistent:${bin}` });
    expect(found.problems).toEqual([]);
    expect(found.inputs.kubelogin).toEqual({ path: path.join(bin, 'kubelogin'), environmentLogin: 'spn' });
    // Missing kubelogin is a missing tool (exit 3 when the step starts), not bad input.
    expect(validate({ ...cluster, ...signIn, 'kube-auth': 'kubelogin' }, { PATH: '/nonexistent' }).inputs.kubelogin).toEqual({
      path: undefined,
      environmentLogin: 'spn',
    });
    expect(validate({ ...cluster, 'kube-auth': 'kubelogin' }, { PATH: bin }).problems).toEqual([
      expect.stringMatching(/^kube-auth: kubelogin cannot repeat the default credential chain/),
    ]);
  });
});

describe('bad input through runStep', () => {
  it('ends with exit 2 naming every problem, writes nothing and asks for no token', async () => {
    const tempDir = mkdtempSync(path.join(workspace, 'run-'));
    let tokensAsked = 0;
    const host = new FakeHost({
      inputs: { 'resource-id': '/subscriptions/x/resourceGroups/rg', namespace: 'Bad_NS', 'azure-environment': 'Mars', auth: 'oidc' },
      workspace,
      tempDir,
      federatedToken: async () => {
        tokensAsked++;
        return 'never';
      },
    });
    const outcome = await runStep(host, 'aks-context');
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.code).toBe('INPUT_INVALID');
    const message = outcome.error?.message ?? '';
    for (const input of ['resource-id', 'namespace', 'azure-environment', 'tenant-id', 'client-id']) expect(message).toContain(`input '${input}'`);
    expect(tokensAsked).toBe(0);
    expect(readdirSync(tempDir)).toEqual([]);
    expect(host.outputs).toEqual({});
  });
});
