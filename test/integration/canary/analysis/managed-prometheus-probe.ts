/**
 * Runs one query against a Prometheus behind Entra ID from a process of its own, because Node reads
 * NODE_EXTRA_CA_CERTS (the sandbox CA, as a runner would have its CA) only at start-up:
 *   node --import tsx managed-prometheus-probe.ts '{"url":…,"query":…,"tenantId":…,"clientId":…,"clientSecret":…,"authorityHost":…}'
 * Without clientId no token is sent. Prints {"result": PrometheusQueryResult, "check": QueryCheck} as JSON.
 */
import { ClientSecretCredential } from '@azure/identity';
import { createManagedPrometheusTokenSupplier, PrometheusClient } from '@slipway/core';

interface ProbeInput {
  url: string;
  query: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  authorityHost?: string;
}

const input = JSON.parse(process.argv[2] ?? '{}') as ProbeInput;
const getToken =
  input.clientId && input.clientSecret && input.tenantId
    ? createManagedPrometheusTokenSupplier(
        new ClientSecretCredential(input.tenantId, input.clientId, input.clientSecret, { authorityHost: input.authorityHost, disableInstanceDiscovery: true }),
      )
    : undefined;
const client = new PrometheusClient({ url: input.url, ...(getToken ? { getToken } : {}) });
const result = await client.query(input.query);
const check = await client.checkQuery('sum(rate(up[1m]');
process.stdout.write(`${JSON.stringify({ result, check })}\n`);
