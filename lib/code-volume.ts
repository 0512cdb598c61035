import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { HostPathType } from './host-path-persistent-volume';
import { checkAbsolutePath, checkName } from './validation/checks';
import { ConfigurationError } from './validation/configuration-error';

/**
 * Where the code comes from when it is not a HostPathStorage of this library: plain names and paths,
 * so a chart on any cdk8s-plus version (or raw API objects) can describe its own volume. Give one.
 */
export interface CodeVolume {
  /**
   * A PersistentVolumeClaim, by name: one your chart defines (with any cdk8s-plus version or
   * `ApiObject`) or one that already exists in the namespace.
   * @default - no claim
   */
  readonly claimName?: string;

  /**
   * A directory on the node, mounted directly as a `hostPath` volume (no PersistentVolume).
   * @default - no host path
   */
  readonly hostPath?: string;

  /** Kubelet's check of `hostPath`. @default HostPathType.DIRECTORY_OR_CREATE */
  readonly hostPathType?: HostPathType;
}

/** The cdk8s-plus-25 pod volume for a CodeVolume, named `name`. */
export function codeVolume(scope: Construct, field: string, source: CodeVolume, name: string): kplus.Volume {
  const given = [source.claimName, source.hostPath].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new ConfigurationError(scope.node.path, field, source, 'must name exactly one source', 'give either claimName or hostPath');
  }
  if (source.claimName !== undefined) {
    const claimName = checkName(scope, `${field}.claimName`, source.claimName);
    // Naming a claim declares it: it is the chart's own or exists in the cluster.
    const claim = kplus.PersistentVolumeClaim.fromClaimName(scope, 'CodeClaim', claimName);
    return kplus.Volume.fromPersistentVolumeClaim(scope, 'CodeVolume', claim, { name });
  }
  const path = checkAbsolutePath(scope, `${field}.hostPath`, source.hostPath!);
  return kplus.Volume.fromHostPath(scope, 'CodeVolume', name, {
    path,
    type: source.hostPathType === HostPathType.DIRECTORY ? kplus.HostPathVolumeType.DIRECTORY : kplus.HostPathVolumeType.DIRECTORY_OR_CREATE,
  });
}
