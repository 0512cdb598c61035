import { ApiObject, ApiObjectMetadata, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { StorageAccessMode, StorageReclaimPolicy, toAccessModes, toReclaimPolicy } from './storage-options';
import { checkAbsolutePath, checkBytes, checkNodeName } from './validation/checks';
import { ConfigurationError } from './validation/configuration-error';

/** How the kubelet treats the host path (Kubernetes `hostPath.type`). */
export enum HostPathType {
  /** Create an empty directory (mode 0755, owned by the kubelet) when nothing is there. */
  DIRECTORY_OR_CREATE = 'DirectoryOrCreate',
  /** The directory must already exist: the pod waits in ContainerCreating until it does. */
  DIRECTORY = 'Directory',
}

export interface HostPathPersistentVolumeProps {
  /** Absolute path of the directory on the node (not `/`). */
  readonly path: string;

  /**
   * What the kubelet checks or creates at `path`.
   * @default HostPathType.DIRECTORY_OR_CREATE
   */
  readonly type?: HostPathType;

  /**
   * Pin the volume (and so every pod using it) to this node, by `kubernetes.io/hostname`.
   * Needed on clusters with more than one node, where the directory exists on one of them only.
   * @default - no node affinity (right for a single-node cluster)
   */
  readonly nodeName?: string;

  /** @default - a name cdk8s derives from the construct path */
  readonly metadata?: ApiObjectMetadata;

  /**
   * Capacity, a Kubernetes quantity such as `"5Gi"` or `"512Mi"`, at least 1Mi.
   * @default - no capacity
   */
  readonly storage?: string;

  /** @default - no access modes */
  readonly accessModes?: StorageAccessMode[];

  /** @default - no storage class */
  readonly storageClassName?: string;

  /** @default StorageReclaimPolicy.RETAIN */
  readonly reclaimPolicy?: StorageReclaimPolicy;
}

/**
 * A PersistentVolume backed by a directory on the node. cdk8s-plus-25 ships cloud-disk volumes only;
 * this extends its `PersistentVolume` the same way they do, by adding the source to `_toKube()`.
 */
export class HostPathPersistentVolume extends kplus.PersistentVolume {
  public readonly path: string;
  public readonly type: HostPathType;
  public readonly nodeName?: string;

  /** Capacity in the API server's canonical form (`"1Gi"`, never `"1024Mi"`). */
  public readonly capacity?: string;

  constructor(scope: Construct, id: string, props: HostPathPersistentVolumeProps) {
    super(scope, id, {
      metadata: props.metadata,
      storageClassName: props.storageClassName,
      accessModes: props.accessModes === undefined ? undefined : toAccessModes(scope, `${id}.accessModes`, props.accessModes),
      reclaimPolicy: props.reclaimPolicy === undefined ? undefined : toReclaimPolicy(scope, `${id}.reclaimPolicy`, props.reclaimPolicy),
    });
    this.path = checkAbsolutePath(this, 'path', props.path);
    if (this.path === '/') {
      throw new ConfigurationError(this.node.path, 'path', props.path, "is the node's root filesystem: it would be mounted writable into the pod (and watched whole)",
        'give the directory of the code or the data, e.g. "/vagrant/my-app" or "/var/lib/hot-reload/mysql"');
    }
    this.type = props.type ?? HostPathType.DIRECTORY_OR_CREATE;
    if (!Object.values(HostPathType).includes(this.type)) {
      throw new ConfigurationError(this.node.path, 'type', this.type, 'not a HostPathType', `use one of ${Object.values(HostPathType).map((t) => `"${t}"`).join(', ')} (HostPathType.*)`);
    }
    this.nodeName = props.nodeName === undefined ? undefined : checkNodeName(this, 'nodeName', props.nodeName);
    this.capacity = props.storage === undefined ? undefined : checkBytes(this, 'storage', props.storage, '1Gi');
    // PersistentVolumes are cluster-scoped: drop the namespace a Chart puts on every object.
    if (this.apiObject.metadata.namespace) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }

  /** @internal */
  public _toKube(): kplus.k8s.PersistentVolumeSpec {
    return {
      ...super._toKube(),
      capacity: this.capacity ? { storage: kplus.k8s.Quantity.fromString(this.capacity) } : undefined,
      // cdk8s-plus's claimRef has no namespace, and the PV controller never matches that to a claim.
      claimRef: this.claim ? { name: this.claim.name, namespace: ApiObject.of(this.claim).metadata.namespace ?? 'default' } : undefined,
      hostPath: { path: this.path, type: this.type },
      nodeAffinity: this.nodeName ? {
        required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [this.nodeName] }] }] },
      } : undefined,
    };
  }
}
