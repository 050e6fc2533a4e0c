/** Programmatic API of the sandbox Azure doubles (tests import this; `main.ts` is the service entry). */
export { startAzureDoubles, type AzureDoublesDescription, type AzureDoublesHandle, type TokenFamily } from './server.ts';
export { createTestCertificates, type TestCertificates } from './test-ca.ts';
export { startDockerRegistry, freePort, type RunningRegistry } from './docker-registry.ts';
export type { AzureDoublesOptions, EntraApp, FederatedCredential, ManagedIdentity, ClusterOptions, RegistryOptions, AzureRoleName } from './model.ts';
export type { FaultRule, FaultKind } from './faults.ts';
export type { DoubleStats } from './stats.ts';
