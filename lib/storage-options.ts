import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { checkEnum } from './validation/checks';
import { ConfigurationError } from './validation/configuration-error';

// The library's own enums, so that a chart on any cdk8s-plus version (or none) can pass them:
// enums of two cdk8s-plus packages are distinct types even when their values are equal.

/** How a volume can be mounted (Kubernetes `accessModes`). */
export enum StorageAccessMode {
  /** Read-write by the pods of a single node. */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Read-only by many nodes. */
  READ_ONLY_MANY = 'ReadOnlyMany',
  /** Read-write by many nodes. */
  READ_WRITE_MANY = 'ReadWriteMany',
  /** Read-write by a single pod. */
  READ_WRITE_ONCE_POD = 'ReadWriteOncePod',
}

/** What happens to a volume when its claim is deleted (Kubernetes `persistentVolumeReclaimPolicy`). */
export enum StorageReclaimPolicy {
  /** Keep the volume and its data; an administrator reclaims it by hand. */
  RETAIN = 'Retain',
  /** Delete the volume object (a hostPath directory itself stays on the node). */
  DELETE = 'Delete',
}

const ACCESS_MODES: Record<StorageAccessMode, kplus.PersistentVolumeAccessMode> = {
  [StorageAccessMode.READ_WRITE_ONCE]: kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE,
  [StorageAccessMode.READ_ONLY_MANY]: kplus.PersistentVolumeAccessMode.READ_ONLY_MANY,
  [StorageAccessMode.READ_WRITE_MANY]: kplus.PersistentVolumeAccessMode.READ_WRITE_MANY,
  [StorageAccessMode.READ_WRITE_ONCE_POD]: kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE_POD,
};

const RECLAIM_POLICIES: Record<StorageReclaimPolicy, kplus.PersistentVolumeReclaimPolicy> = {
  [StorageReclaimPolicy.RETAIN]: kplus.PersistentVolumeReclaimPolicy.RETAIN,
  [StorageReclaimPolicy.DELETE]: kplus.PersistentVolumeReclaimPolicy.DELETE,
};

/** cdk8s-plus-25's access modes for ours, checked (JavaScript callers can pass any string). */
export function toAccessModes(scope: Construct, field: string, modes: StorageAccessMode[]): kplus.PersistentVolumeAccessMode[] {
  if (!Array.isArray(modes) || modes.length === 0) {
    throw new ConfigurationError(scope.node.path, field, modes, 'a volume needs at least one access mode', 'omit it for [StorageAccessMode.READ_WRITE_ONCE]');
  }
  return modes.map((m, i) => checkEnum(scope, `${field}[${i}]`, m, ACCESS_MODES, 'StorageAccessMode'));
}

/** Ours to cdk8s-plus-25's, checked. */
export function toReclaimPolicy(scope: Construct, field: string, policy: StorageReclaimPolicy): kplus.PersistentVolumeReclaimPolicy {
  return checkEnum(scope, field, policy, RECLAIM_POLICIES, 'StorageReclaimPolicy');
}
