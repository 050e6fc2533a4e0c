/**
 * Runs in a child process (NODE_EXTRA_CA_CERTS must be set before Node starts): asks Slipway's credential
 * factory for two tokens, `PROBE_PAUSE_MS` apart, with assertions from `PROBE_TOKEN_URL`. With
 * PROBE_CACHE_ASSERTION=1 the first assertion is reused, as a naive implementation would.
 * Prints one JSON line: {ok, resumedAt, error?}.
 */
import { azureClouds, createCredential } from '@slipway/core';

const env = process.env;
let cached: string | undefined;
const source = async (audience: string) => {
  if (env.PROBE_CACHE_ASSERTION === '1' && cached) return cached;
  const response = await fetch(`${env.PROBE_TOKEN_URL}?audience=${encodeURIComponent(audience)}`);
  cached = ((await response.json()) as { value: string }).value;
  return cached;
};
const { credential } = createCredential(
  {
    method: 'oidc',
    tenantId: env.PROBE_TENANT,
    clientId: env.PROBE_CLIENT,
    clientSecret: undefined,
    certificatePath: undefined,
    cloud: azureClouds.AzureCloud,
    authorityHost: env.PROBE_AUTHORITY as string,
    resourceManager: azureClouds.AzureCloud.resourceManager,
  },
  { federatedToken: source },
);
let resumedAt = 0;
try {
  await credential.getToken('https://containerregistry.azure.net/.default');
  await new Promise((resolve) => setTimeout(resolve, Number(env.PROBE_PAUSE_MS ?? '0')));
  resumedAt = Date.now();
  // A second resource has no cached access token, so MSAL needs a new assertion now.
  await credential.getToken('https://management.azure.com/.default');
  console.log(JSON.stringify({ ok: true, resumedAt }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: (error as Error).message.split('\n')[0] }));
}
