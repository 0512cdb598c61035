import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { HostPathType } from './host-path-persistent-volume';
import { checkAbsolutePath, checkName, checkSubdomain } from './validation/checks';
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

/**
 * One more volume for the app (a cache, uploads, settings), described by plain fields: exactly one of
 * `claimName`, `hostPath`, `configMapName`, `secretName` or `emptyDir`. Naming a claim, ConfigMap or
 * Secret declares it: your chart defines it (any cdk8s-plus version) or it exists in the namespace.
 */
export interface AppVolume extends CodeVolume {
  /** Absolute path in the container, outside the code mount, `/tmp` and `/hot-reload`. */
  readonly mountPath: string;

  /** A ConfigMap, by name; mounted read-only. @default - no ConfigMap */
  readonly configMapName?: string;

  /** A Secret, by name; mounted read-only. @default - no Secret */
  readonly secretName?: string;

  /** A fresh empty directory for the pod's lifetime. @default false */
  readonly emptyDir?: boolean;

  /** Mount read-only. @default - false, except ConfigMaps and Secrets, which are always read-only */
  readonly readOnly?: boolean;
}

type Source = CodeVolume & Partial<Omit<AppVolume, 'mountPath'>>;

/** The cdk8s-plus-25 pod volume named `name` for a plain description; construct ids start with `id`. */
export function podVolume(scope: Construct, field: string, source: Source, name: string, id: string): kplus.Volume {
  const kinds = (['claimName', 'hostPath', 'configMapName', 'secretName', 'emptyDir'] as const).filter((k) => source[k] !== undefined && source[k] !== false);
  if (kinds.length !== 1) {
    throw new ConfigurationError(scope.node.path, field, source, `must name exactly one source (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})`,
      'give one of claimName, hostPath, configMapName, secretName or emptyDir');
  }
  const at = (f: string) => `${field}.${f}`;
  switch (kinds[0]) {
    case 'claimName': {
      const claim = kplus.PersistentVolumeClaim.fromClaimName(scope, `${id}Claim`, checkName(scope, at('claimName'), source.claimName!));
      return kplus.Volume.fromPersistentVolumeClaim(scope, id, claim, { name });
    }
    case 'hostPath':
      return kplus.Volume.fromHostPath(scope, id, name, {
        path: checkAbsolutePath(scope, at('hostPath'), source.hostPath!),
        type: source.hostPathType === HostPathType.DIRECTORY ? kplus.HostPathVolumeType.DIRECTORY : kplus.HostPathVolumeType.DIRECTORY_OR_CREATE,
      });
    case 'configMapName': {
      const configMapName = checkSubdomain(scope, at('configMapName'), source.configMapName!, 'ConfigMap name', 'use the ConfigMap\'s real name (kubectl get configmaps)');
      return kplus.Volume.fromConfigMap(scope, id, kplus.ConfigMap.fromConfigMapName(scope, `${id}ConfigMap`, configMapName), { name });
    }
    case 'secretName': {
      const secretName = checkSubdomain(scope, at('secretName'), source.secretName!, 'Secret name', 'use the Secret\'s real name (kubectl get secrets)');
      return kplus.Volume.fromSecret(scope, id, kplus.Secret.fromSecretName(scope, `${id}Secret`, secretName), { name });
    }
    default:
      return kplus.Volume.fromEmptyDir(scope, id, name);
  }
}
