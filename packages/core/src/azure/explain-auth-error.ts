import { SlipwayError } from '../errors/index.ts';
import { ExitCode } from '../errors/exit-codes.ts';

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
};

/** Turns an identity or registry auth failure into exit 3 with the Entra/ACR code and the likely fix. */
export function explainAuthError(error: unknown, context: { action: string; assertion?: PresentedAssertion | undefined }): SlipwayError {
  const message = error instanceof Error ? error.message : String(error);
  const aadsts = /AADSTS(\d+)/.exec(message)?.[1];
  let hint = aadsts ? aadstsHints[aadsts] : undefined;
  if ((aadsts === '70021' || aadsts === '700211' || aadsts === '700213') && context.assertion?.subject) {
    hint = `${hint}; the token presented issuer '${context.assertion.issuer ?? '?'}' and subject '${context.assertion.subject}': add a federated credential with exactly that subject`;
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (!hint && (status === 401 || status === 403)) {
    hint = status === 403 ? 'the identity signed in but lacks the role (AcrPush for push, AcrPull for pull)' : 'the registry refused the token: check the registry name and that the identity has access';
  }
  const code = aadsts ? `AADSTS${aadsts}` : status === 401 || status === 403 ? 'REGISTRY_AUTH_FAILED' : 'AZURE_AUTH_FAILED';
  return new SlipwayError(code, `${context.action}: ${firstLine(message)}`, ExitCode.environment, {
    hint: hint ?? 'check the Azure sign-in inputs (auth, tenant-id, client-id) and the identity\'s role assignments',
    cause: error,
  });
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

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim()) ?? text;
}
