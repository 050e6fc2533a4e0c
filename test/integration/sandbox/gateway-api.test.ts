/**
 * Issue #12: the sandbox serves the Gateway API CRDs generated from the sigs.k8s.io/gateway-api module
 * (standard channel), and the traffic classes a canary's routing objects name. No controller runs, so the
 * tests look at what the API server accepts and stores: the objects a real controller would read.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { chartDir, describeSandbox, kubectl, kubectlJson, repoRoot, run, runOk, uniqueName, type SandboxInfo } from './sandbox.ts';

const GROUP = 'gateway.networking.k8s.io';
const STANDARD_KINDS = ['GatewayClass', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'ReferenceGrant'];

interface Crd {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { group: string; names: { kind: string }; versions: Array<{ name: string; served: boolean; storage: boolean }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

interface HttpRoute {
  spec: { parentRefs: Array<{ name: string }>; rules: Array<{ backendRefs: Array<{ name: string; port: number; weight?: number }> }> };
}

describeSandbox('sandbox Gateway API CRDs and traffic classes', (sb: SandboxInfo) => {
  const ns = uniqueName('gwapi');
  const version = sb.env.SANDBOX_GATEWAY_API_VERSION ?? '';

  /** Server-side apply of a manifest (strict field validation, as kubectl does by default). */
  const apply = (manifest: string) =>
    run(sb, sb.env.KUBECTL ?? 'kubectl', ['--kubeconfig', sb.env.KUBECONFIG ?? '', 'apply', '--server-side', '-n', ns, '-f', '-'], { input: manifest });

  /** An HTTPRoute splitting traffic between the demo release's Service and a canary Service. */
  const weightedRoute = (name: string, stable: number, canary: number) => `
apiVersion: ${GROUP}/v1
kind: HTTPRoute
metadata:
  name: ${name}
spec:
  parentRefs:
    - name: slipway-gateway
  rules:
    - backendRefs:
        - name: demo-slipway-demo
          port: 80
          weight: ${stable}
        - name: demo-slipway-demo-canary
          port: 80
          weight: ${canary}
`;

  beforeAll(async () => {
    await kubectl(sb, ['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await kubectl(sb, ['delete', 'namespace', ns, '--wait=false']).catch(() => {});
  });

  it('serves the standard channel CRDs of the pinned release, Established, from the generated file', async () => {
    expect(version).toMatch(/^v1\.\d+\.\d+$/);
    const file = sb.env.SANDBOX_GATEWAY_API_CRDS ?? '';
    expect(file).toContain(`/gateway-api/${version}/`);
    const generated = parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS() as Crd | null)
      .filter((d): d is Crd => d !== null);
    expect(generated.map((c) => c.spec.names.kind)).toEqual(expect.arrayContaining(STANDARD_KINDS));

    const served = await kubectlJson<{ items: Crd[] }>(sb, ['get', 'crd']);
    for (const crd of generated) {
      const live = served.items.find((c) => c.metadata.name === crd.metadata.name);
      expect(live, crd.metadata.name).toBeDefined();
      expect(live?.metadata.annotations?.[`${GROUP}/bundle-version`]).toBe(version);
      expect(live?.metadata.annotations?.[`${GROUP}/channel`]).toBe('standard');
      expect(live?.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
      expect(live?.spec.versions).toEqual(crd.spec.versions.map((v) => expect.objectContaining({ name: v.name, served: v.served, storage: v.storage })));
    }
    const resources = await kubectl(sb, ['api-resources', `--api-group=${GROUP}`, '-o', 'name']);
    for (const plural of ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants']) expect(resources).toContain(`${plural}.${GROUP}`);
  });

  it('has the IngressClasses of ingress-nginx and AKS application routing, and the sandbox GatewayClass', async () => {
    const classes = await kubectlJson<{ items: Array<{ metadata: { name: string }; spec: { controller: string } }> }>(sb, ['get', 'ingressclass']);
    const controllerOf = (name: string) => classes.items.find((c) => c.metadata.name === name)?.spec.controller;
    expect(controllerOf('nginx')).toBe('k8s.io/ingress-nginx');
    expect(controllerOf('webapprouting.kubernetes.azure.com')).toBe('webapprouting.kubernetes.azure.com/nginx');
    const gatewayClass = await kubectlJson<{ spec: { controllerName: string } }>(sb, ['get', 'gatewayclass', 'slipway-sandbox']);
    expect(gatewayClass.spec.controllerName).toBe('sandbox.slipway.dev/gateway-controller');
  });

  it('accepts the fixture Gateway and the demo chart with its Ingress and HTTPRoute', async () => {
    const gateway = readFileSync(path.join(repoRoot, 'test/fixtures/k8s/gateway.yaml'), 'utf8');
    const applied = await apply(gateway);
    expect(applied.code, applied.stderr).toBe(0);
    await runOk(
      sb,
      sb.env.HELM3 ?? 'helm',
      [
        'install',
        'demo',
        chartDir,
        '-n',
        ns,
        '--set',
        'ingress.enabled=true',
        '--set',
        'httpRoute.enabled=true',
        '--set',
        'httpRoute.hostnames={demo.sandbox.test}',
      ],
      { timeoutMs: 60_000 },
    );
    const route = await kubectlJson<HttpRoute & { spec: { hostnames: string[] } }>(sb, ['get', 'httproute', 'demo-slipway-demo', '-n', ns]);
    expect(route.spec.parentRefs).toEqual([expect.objectContaining({ name: 'slipway-gateway' })]);
    expect(route.spec.hostnames).toEqual(['demo.sandbox.test']);
    // The CRD's defaults are applied by the API server: the rule's backend gets weight 1.
    expect(route.spec.rules[0]?.backendRefs).toEqual([expect.objectContaining({ name: 'demo-slipway-demo', port: 80, weight: 1 })]);
    const ingress = await kubectlJson<{ spec: { ingressClassName: string } }>(sb, ['get', 'ingress', 'demo-slipway-demo', '-n', ns]);
    expect(ingress.spec.ingressClassName).toBe('nginx');
  });

  it('accepts an HTTPRoute with weighted backendRefs and stores the weights', async () => {
    const applied = await apply(weightedRoute('weighted', 90, 10));
    expect(applied.code, applied.stderr).toBe(0);
    const route = await kubectlJson<HttpRoute>(sb, ['get', 'httproute', 'weighted', '-n', ns]);
    expect(route.spec.rules[0]?.backendRefs.map((b) => [b.name, b.weight])).toEqual([
      ['demo-slipway-demo', 90],
      ['demo-slipway-demo-canary', 10],
    ]);
    // The upper bound itself is valid, and so is 0 (a backend that gets no traffic).
    const bounds = await apply(weightedRoute('bounds', 1_000_000, 0));
    expect(bounds.code, bounds.stderr).toBe(0);
  });

  it("rejects weights outside the generated schema's 0..1000000", async () => {
    const tooHigh = await apply(weightedRoute('too-high', 1_000_001, 10));
    expect(tooHigh.code).not.toBe(0);
    expect(tooHigh.stderr).toContain('spec.rules[0].backendRefs[0].weight');
    expect(tooHigh.stderr).toContain('should be less than or equal to 1000000');
    const negative = await apply(weightedRoute('negative', 90, -1));
    expect(negative.code).not.toBe(0);
    expect(negative.stderr).toContain('spec.rules[0].backendRefs[1].weight');
    expect(negative.stderr).toContain('should be greater than or equal to 0');
    const names = (await kubectl(sb, ['get', 'httproute', '-n', ns, '-o', 'name'])).split('\n');
    expect(names).not.toContain('httproute.gateway.networking.k8s.io/too-high');
    expect(names).not.toContain('httproute.gateway.networking.k8s.io/negative');
  });

  it('is the standard channel: an experimental field (HTTPRoute retry) is unknown, a CEL rule is enforced', async () => {
    const withRetry = `${weightedRoute('retry', 1, 1)}      retry:\n        attempts: 2\n`;
    const retry = await apply(withRetry);
    expect(retry.code).not.toBe(0);
    // (server-side apply's wording for a field the schema does not have)
    expect(retry.stderr).toContain('.spec.rules[0].retry: field not declared in schema');
    // A CEL rule (x-kubernetes-validations) of the generated Gateway CRD.
    const tcpWithHostname = `
apiVersion: ${GROUP}/v1
kind: Gateway
metadata:
  name: tcp-with-hostname
spec:
  gatewayClassName: slipway-sandbox
  listeners:
    - { name: tcp, protocol: TCP, port: 9000, hostname: demo.sandbox.test }
`;
    const cel = await apply(tcpWithHostname);
    expect(cel.code).not.toBe(0);
    expect(cel.stderr).toContain("hostname must not be specified for protocols ['TCP', 'UDP']");
  });
});
