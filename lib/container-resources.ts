import { Construct } from 'constructs';
import { checkBytes, checkCpu } from './validation/checks';

/**
 * CPU and memory of a container, as Kubernetes quantities (`"250m"`, `"1"`, `"512Mi"`, `"1Gi"`).
 * They are written to the manifest the way the API server stores them (`"1024Mi"` becomes `"1Gi"`,
 * `"1000m"` becomes `"1"`), so a server-side apply finds nothing to change.
 */
export interface ContainerResourceOptions {
  /** @default - the construct's default */
  readonly cpuRequest?: string;
  /** @default - the construct's default */
  readonly cpuLimit?: string;
  /** @default - the construct's default */
  readonly memoryRequest?: string;
  /** @default - the construct's default */
  readonly memoryLimit?: string;
}

/** The `resources` object of a container spec. */
export interface ResourceRequirementsJson {
  readonly requests?: Record<string, string>;
  readonly limits?: Record<string, string>;
}

/** Each given field over its default, checked and canonical, as the container spec's `resources`. */
export function resourceRequirements(scope: Construct, field: string, given: ContainerResourceOptions | undefined, defaults: ContainerResourceOptions): ResourceRequirementsJson {
  const r = { ...defaults, ...given };
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpuRequest !== undefined) requests.cpu = checkCpu(scope, `${field}.cpuRequest`, r.cpuRequest);
  if (r.memoryRequest !== undefined) requests.memory = checkBytes(scope, `${field}.memoryRequest`, r.memoryRequest, '256Mi');
  if (r.cpuLimit !== undefined) limits.cpu = checkCpu(scope, `${field}.cpuLimit`, r.cpuLimit);
  if (r.memoryLimit !== undefined) limits.memory = checkBytes(scope, `${field}.memoryLimit`, r.memoryLimit, '512Mi');
  return {
    ...Object.keys(limits).length > 0 ? { limits } : {},
    ...Object.keys(requests).length > 0 ? { requests } : {},
  };
}
