/**
 * RS256 JSON Web Tokens for the Azure doubles (RFC 7515/7519). Entra ID, ACR and the sandbox OIDC
 * issuer each sign with their own generated key; Entra publishes its key as a JWKS like the real
 * `/{tenant}/discovery/v2.0/keys` endpoint does.
 */
import { constants, generateKeyPairSync, randomBytes, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

export interface JwtSigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: JwtClaims;
  signingInput: string;
  signature: Buffer;
}

/**
 * Generates a 2048-bit RSA key. The default key id looks like Entra's: the base64url form of 20 bytes (a
 * SHA-1 certificate thumbprint), used as both `kid` and `x5t`; JOSE libraries check that an `x5t` decodes
 * to 20 bytes (go-jose, which kube-apiserver uses to read the JWKS, rejects the whole key set otherwise).
 */
export function createSigningKey(kid: string = randomBytes(20).toString('base64url')): JwtSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/** Signs `claims` with RS256; the header carries `kid` (and `x5t`, as Entra's tokens do). */
export function signJwt(key: JwtSigningKey, claims: JwtClaims): string {
  const header = { typ: 'JWT', alg: 'RS256', kid: key.kid, x5t: key.kid };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits and parses a compact JWT without checking its signature; undefined when malformed. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header: unknown = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    const payload: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    if (!isRecord(header) || !isRecord(payload)) return undefined;
    return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return undefined;
  }
}

/** True when `jwt` is RS256-signed by `key` (the `kid` must match too). */
export function hasValidSignature(jwt: DecodedJwt, key: JwtSigningKey): boolean {
  if (jwt.header.alg !== 'RS256' || jwt.header.kid !== key.kid) return false;
  return verify('sha256', Buffer.from(jwt.signingInput), key.publicKey, jwt.signature);
}

/** The public half of `key` as a JWK, in the shape of Entra's `discovery/v2.0/keys` entries. */
export function toPublicJwk(key: JwtSigningKey, issuer?: string): Record<string, unknown> {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { kty: jwk.kty, use: 'sig', kid: key.kid, x5t: key.kid, n: jwk.n, e: jwk.e, ...(issuer ? { issuer } : {}) };
}

/** Reads a numeric claim (seconds since epoch). */
export function numericClaim(claims: JwtClaims, name: string): number | undefined {
  const value = claims[name];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

export function stringClaim(claims: JwtClaims, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Verifies a certificate-signed client assertion the way Entra does (learn.microsoft.com
 * "certificate-credentials"): the header names the certificate by `x5t#S256` (SHA-256 thumbprint, with
 * PS256) or `x5t` (SHA-1, with RS256), and the signature must verify with that certificate's key.
 * Returns the matched certificate's index, or undefined.
 */
export function matchCertificateAssertion(jwt: DecodedJwt, certificates: readonly string[]): number | undefined {
  const alg = jwt.header.alg;
  const sha256 = typeof jwt.header['x5t#S256'] === 'string' ? (jwt.header['x5t#S256'] as string) : undefined;
  const sha1 = typeof jwt.header.x5t === 'string' ? (jwt.header.x5t as string) : undefined;
  for (const [index, pem] of certificates.entries()) {
    const certificate = new X509Certificate(pem);
    const thumbprint = (fingerprint: string) => Buffer.from(fingerprint.replace(/:/g, ''), 'hex').toString('base64url');
    const byThumbprint = (sha256 && thumbprint(certificate.fingerprint256) === sha256) || (sha1 && thumbprint(certificate.fingerprint) === sha1);
    if (!byThumbprint) continue;
    const data = Buffer.from(jwt.signingInput);
    const ok =
      alg === 'PS256'
        ? verify(
            'sha256',
            data,
            { key: certificate.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
            jwt.signature,
          )
        : alg === 'RS256' && verify('sha256', data, certificate.publicKey, jwt.signature);
    return ok ? index : undefined;
  }
  return undefined;
}
