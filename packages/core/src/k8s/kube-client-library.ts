/**
 * The parts of @kubernetes/client-node that KubeApi uses, named here so that KubeApi can load them with
 * one dynamic import: a dynamic import of the package itself would bring its whole namespace (every API
 * group, watch, exec, port-forward: ~5 MB) into the bundle, where named imports let the bundler keep
 * only these and what they need.
 */
export {
  AppsV1Api,
  AuthenticationV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
