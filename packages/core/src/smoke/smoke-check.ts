/** Where a check's request goes. */
export type SmokeTarget =
  /** An http(s) URL reached from the runner. */
  | { kind: 'url'; url: string }
  /**
   * A Service reached through the Kubernetes API server's service proxy, with the kubeconfig's
   * credentials: no ingress, port-forward or public address needed.
   */
  | {
      kind: 'service';
      name: string;
      /** A port number or a port name of the Service. */
      port: string;
      /** Undefined: the namespace the caller gives (the release's). */
      namespace: string | undefined;
      scheme: 'http' | 'https';
      /** From the service's root, with any query: `/healthz?deep=1`. */
      path: string;
    };

/** One expected status: an exact code (`204`) or a class (`2xx`). */
export type StatusExpectation = { kind: 'code'; code: number } | { kind: 'class'; hundreds: number };

/** How the response body must look, besides its status. */
export type BodyExpectation =
  | { kind: 'regex'; source: string; regex: RegExp }
  /** A JSONPath (RFC 9535) that must select something; with `equals`, every value it selects must equal it. */
  | { kind: 'json-path'; path: string; equals: string | undefined };

/** One HTTP smoke check, parsed and validated (see parseSmokeChecks). */
export interface SmokeCheck {
  name: string;
  target: SmokeTarget;
  method: string;
  /** Header names as written; values may be secret (see `secretHeaders`). */
  headers: Readonly<Record<string, string>>;
  /** Lowercased names of the headers whose values are masked and never printed. */
  secretHeaders: readonly string[];
  body: string | undefined;
  expectStatus: readonly StatusExpectation[];
  expectBody: BodyExpectation | undefined;
  maxLatencyMs: number | undefined;
  /** Attempts after the first one that failed. */
  retries: number;
  retryDelayMs: number;
  /** Limit of one attempt, response body included. */
  timeoutMs: number;
}

/** The outcome of one check: its last attempt decides. */
export interface SmokeCheckResult {
  name: string;
  /** How the target reads in a log or a table: `GET https://api.example.com/healthz`, `GET service web:http/healthz`. */
  target: string;
  passed: boolean;
  attempts: number;
  /** The last attempt's HTTP status; undefined when no response came (connection refused, timeout). */
  status: number | undefined;
  /** The last attempt's time to the whole response, in milliseconds; undefined when it got none. */
  latencyMs: number | undefined;
  /** What failed in the last attempt (`status 503 not in 2xx`, `812 ms > 500 ms`); empty when it passed. */
  failures: string[];
}

/** `helm test` of a release: which test pods passed and which failed. */
export interface HelmTestCheckResult {
  release: string;
  namespace: string;
  passed: boolean;
  tests: readonly { name: string; phase: string; passed: boolean }[];
  /** Why it failed when no test pod said so (release not found, timeout), or a note (logs unavailable). */
  message: string | undefined;
}

/** Every check's result, in the order the checks were given. */
export interface SmokeReport {
  passed: boolean;
  checks: SmokeCheckResult[];
  helmTest: HelmTestCheckResult | undefined;
  /** The overall deadline ran out before every check could finish. */
  deadlineReached: boolean;
  durationMs: number;
}

/** Headers whose values are credentials whatever the check says. */
export const alwaysSecretHeaders = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'] as const;

/** `GET https://host/path` or `GET service ns/web:80/healthz`: how a check's target is shown. */
export function describeSmokeTarget(check: Pick<SmokeCheck, 'method' | 'target'>, defaultNamespace?: string): string {
  const target = check.target;
  if (target.kind === 'url') return `${check.method} ${target.url}`;
  const namespace = target.namespace ?? defaultNamespace;
  const scheme = target.scheme === 'https' ? 'https:' : '';
  return `${check.method} service ${namespace ? `${namespace}/` : ''}${scheme}${target.name}:${target.port}${target.path}`;
}
