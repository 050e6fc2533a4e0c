import { errorCodes, SlipwayError } from '../errors/index.ts';

/** What a presented federated token claimed, for "which subject was presented" hints. */
export interface PresentedAssertion {
  issuer?: string;
  subject?: string;
  audience?: string;
}

/** Entra ID errors users hit, by AADSTS code, with the fix (Entra ID error code reference). */
const aadstsHints: Record<string, string> = {
  '700024': 'the federated (OIDC) assertion is outside its valid time range: the token expired or the runner clock is skewed',
  '70021': 'no federated credential on the app registration matches the presented issuer/subject/audience',
  '700211': 'no federated credential on the app registration has the presented issuer',
  '700213': 'no federated credential on the app registration has the presented subject',
  '7000215': 'the client secret is wrong: check that you copied the secret value, not its id',
  '7000222': 'the client secret has expired: create a new one',
  '700016': 'the client id is unknown in this tenant: check client-id and tenant-id',
  '90002': 'the tenant was not found: check tenant-id and azure-environment',
  '700027': 'the client certificate is not registered on the app, or its assertion is invalid',
  '50034': 'the user account does not exist in this tenant',
  '500011': 'the resource is unknown in this tenant: check azure-environment (the registry audience differs per cloud)',
};

/** ACR's error codes in a 401/403 body (`{"errors":[{"code":"UNAUTHORIZED",…}]}`), with the fix. */
const acrHints: Record<string, string> = {
  UNAUTHORIZED: "the registry refused the token: check the registry name, that it is in the identity's tenant, and that the identity has access",
  DENIED: 'the identity signed in but may not do this: grant it AcrPush (push) or AcrPull (scan, pull) on the registry',
};

const federatedMismatch = new Set(['70021', '700211', '700213']);

/** Error names of @azure/identity: their status codes are Entra ID's. */
const identityErrorNames = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError', 'AggregateAuthenticationError']);

/**
 * Turns an identity or registry auth failure into exit 3 with the Entra or ACR code and the likely fix.
 * Understands @azure/identity's errors (AuthenticationError with `errorResponse`, the MSAL text with
 * `AADSTS…`, CredentialUnavailableError, AggregateAuthenticationError from the default chain), the
 * RestError of @azure/container-registry and errors built from a fetch response (`statusCode` plus
 * the body in the message).
 */
export function explainAuthError(error: unknown, context: { action: string; assertion?: PresentedAssertion | undefined }): SlipwayError {
  const message = messageOf(error);
  const aadsts = aadstsCodeOf(error, message);
  const status = statusOf(error);
  // A 401 from Entra ID is a sign-in failure, not the registry's: only non-identity errors are ACR's.
  const fromRegistry = !identityErrorNames.has(nameOf(error) ?? '');
  const acr =
    /"code"\s*:\s*"(UNAUTHORIZED|DENIED)"/.exec(message)?.[1] ??
    (fromRegistry && status === 403 ? 'DENIED' : fromRegistry && status === 401 ? 'UNAUTHORIZED' : undefined);
  let hint = aadsts ? aadstsHints[aadsts] : acr ? acrHints[acr] : undefined;
  if (aadsts && federatedMismatch.has(aadsts) && context.assertion?.subject) {
    const { issuer = '?', subject } = context.assertion;
    hint = `${hint}; the token presented issuer '${issuer}' and subject '${subject}': add a federated credential with exactly that subject`;
  }
  if (!hint && nameOf(error) === 'CredentialUnavailableError') {
    hint = 'this sign-in method is not available here (no managed identity, no Azure CLI login, no AZURE_* variables): choose auth explicitly';
  }
  const code = aadsts ? `AADSTS${aadsts}` : acr ? 'REGISTRY_AUTH_FAILED' : 'AZURE_AUTH_FAILED';
  return new SlipwayError(code, `${context.action}: ${summaryOf(message)}`, errorCodes.AZURE_AUTH_FAILED.exitCode, {
    hint: hint ?? "check the Azure sign-in inputs (auth, tenant-id, client-id) and the identity's role assignments",
    cause: error,
  });
}

/** The AADSTS number from the text, or from @azure/identity's `errorResponse.errorCodes`. */
function aadstsCodeOf(error: unknown, message: string): string | undefined {
  const fromText = /AADSTS(\d+)/.exec(message)?.[1];
  if (fromText) return fromText;
  const codes = (error as { errorResponse?: { errorCodes?: unknown } } | undefined)?.errorResponse?.errorCodes;
  return Array.isArray(codes) && typeof codes[0] === 'number' ? String(codes[0]) : undefined;
}

/** The error's text, with the errorDescription and the nested errors of an aggregate. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const description = (error as { errorResponse?: { errorDescription?: unknown } }).errorResponse?.errorDescription;
  const nested = (error as { errors?: unknown }).errors;
  return [
    error.message,
    typeof description === 'string' && !error.message.includes(description) ? description : '',
    ...(Array.isArray(nested) ? nested.map(messageOf) : []),
  ]
    .filter(Boolean)
    .join('\n');
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown; status?: unknown } | undefined)?.statusCode ?? (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** The line that says what happened: the AADSTS one if any (without Entra's trace ids), else the first. */
function summaryOf(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const line = lines.find((candidate) => /AADSTS\d+/.test(candidate)) ?? lines[0] ?? message;
  return line.replace(/\s*Trace ID:.*$/, '');
}

/** Decodes (without verifying) a JWT's iss/sub/aud, to tell the user what was presented. */
export function describeAssertion(jwt: string): PresentedAssertion {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    return {
      ...(typeof payload.iss === 'string' ? { issuer: payload.iss } : {}),
      ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}),
      ...(typeof payload.aud === 'string' ? { audience: payload.aud } : Array.isArray(payload.aud) ? { audience: payload.aud.join(',') } : {}),
    };
  } catch {
    return {};
  }
}
