import { ApiObject, JsonPatch, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { checkAbsolutePath, checkNodeName, checkSize } from './validation/checks';

/** How the kubelet treats the host path (Kubernetes `hostPath.type`). */
export enum HostPathType {
  /** Create an empty directory (mode 0755, owned by the kubelet) when nothing is there. */
  DIRECTORY_OR_CREATE = 'DirectoryOrCreate',
  /** The directory must already exist: the pod waits in ContainerCreating until it does. */
  DIRECTORY = 'Directory',
}

export interface HostPathPersistentVolumeProps extends kplus.PersistentVolumeProps {
  /** Absolute path of the directory on the node. */
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
}

/**
 * A PersistentVolume backed by a directory on the node. cdk8s-plus-25 ships cloud-disk volumes only;
 * this extends its `PersistentVolume` the same way they do, by adding the source to `_toKube()`.
 */
export class HostPathPersistentVolume extends kplus.PersistentVolume {
  public readonly path: string;
  public readonly type: HostPathType;
  public readonly nodeName?: string;

  /** Capacity, rendered exactly (cdk8s-plus's own rendering only handles whole gibibytes). */
  public readonly capacity?: Size;

  constructor(scope: Construct, id: string, props: HostPathPersistentVolumeProps) {
    super(scope, id, { ...props, storage: undefined });
    this.capacity = props.storage;
    this.path = checkAbsolutePath(this, 'path', props.path);
    this.type = props.type ?? HostPathType.DIRECTORY_OR_CREATE;
    this.nodeName = props.nodeName === undefined ? undefined : checkNodeName(this, 'nodeName', props.nodeName);
    if (this.capacity) checkSize(this, 'storage', this.capacity);
    // PersistentVolumes are cluster-scoped: drop the namespace a Chart puts on every object.
    if (this.apiObject.metadata.namespace) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }

  /** @internal */
  public _toKube(): ReturnType<kplus.PersistentVolume['_toKube']> {
    const spec: k8s.PersistentVolumeSpec = {
      ...(super._toKube() as unknown as k8s.PersistentVolumeSpec),
      capacity: this.capacity ? { storage: k8s.Quantity.fromString(quantity(this.capacity)) } : undefined,
      // cdk8s-plus's claimRef has no namespace, and the PV controller never matches that to a claim.
      claimRef: this.claim ? { name: this.claim.name, namespace: ApiObject.of(this.claim).metadata.namespace ?? 'default' } : undefined,
      hostPath: { path: this.path, type: this.type },
      nodeAffinity: this.nodeName ? {
        required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [this.nodeName] }] }] },
      } : undefined,
    };
    // Same JSON shape: cdk8s-plus-25 types it with its own (1.25) generated module, we with imports/k8s (1.33).
    return spec as unknown as ReturnType<kplus.PersistentVolume['_toKube']>;
  }
}

/** The exact quantity for a Size: "2Gi", or "512Mi" when it is not a whole number of GiB. */
export function quantity(size: Size): string {
  const mib = size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${Math.ceil(mib)}Mi`;
}
