import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { HostPathPersistentVolume, HostPathType } from './host-path-persistent-volume';
import { StorageAccessMode, StorageReclaimPolicy, toAccessModes } from './storage-options';
import { checkBytes, checkName } from './validation/checks';
import { addChartValidations } from './validation/chart-validations';

export interface HostPathStorageProps {
  /** Absolute path of the directory on the node, e.g. `/vagrant/python-mysql`. */
  readonly path: string;

  /**
   * Name of both the PersistentVolume and the claim.
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * Capacity of the volume and request of the claim: a Kubernetes quantity of at least 1Mi, such as
   * `"5Gi"` or `"512Mi"`. Written to the manifests the way the API server stores it (`"1024Mi"`
   * becomes `"1Gi"`), so a server-side apply finds nothing to change.
   * @default "1Gi"
   */
  readonly storage?: string;

  /**
   * @default [StorageAccessMode.READ_WRITE_ONCE]
   */
  readonly accessModes?: StorageAccessMode[];

  /**
   * What happens to the volume when the claim is deleted. Retain keeps the data and the PV.
   * @default StorageReclaimPolicy.RETAIN
   */
  readonly reclaimPolicy?: StorageReclaimPolicy;

  /**
   * @default HostPathType.DIRECTORY_OR_CREATE
   */
  readonly type?: HostPathType;

  /**
   * Pin the volume to one node (`kubernetes.io/hostname`), for clusters with more than one node.
   * @default - not pinned
   */
  readonly nodeName?: string;

  /**
   * Storage class of volume and claim. They must be equal; naming one explicitly also stops a
   * default StorageClass from provisioning a fresh volume for the claim instead.
   * @default 'manual'
   */
  readonly storageClassName?: string;

  /**
   * Namespace of the claim (the volume is cluster-scoped). The volume's claimRef points here.
   * @default - the chart's namespace, else 'default'
   */
  readonly namespace?: string;
}

/**
 * A hostPath PersistentVolume and the claim that reserves exactly it: the PV's `claimRef` names the
 * claim and the claim's `volumeName` names the PV, so neither can bind anything else.
 */
export class HostPathStorage extends Construct {
  public readonly volume: HostPathPersistentVolume;
  public readonly claim: kplus.PersistentVolumeClaim;

  constructor(scope: Construct, id: string, props: HostPathStorageProps) {
    super(scope, id);
    const name = checkName(this, 'name', props.name ?? id);
    const storage = checkBytes(this, 'storage', props.storage ?? '1Gi', '1Gi');
    const accessModes = props.accessModes ?? [StorageAccessMode.READ_WRITE_ONCE];
    const storageClassName = props.storageClassName ?? 'manual';
    const namespace = checkName(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');

    this.volume = new HostPathPersistentVolume(this, 'Volume', {
      metadata: { name },
      path: props.path,
      type: props.type,
      nodeName: props.nodeName,
      storage,
      accessModes,
      storageClassName,
      reclaimPolicy: props.reclaimPolicy ?? StorageReclaimPolicy.RETAIN,
    });
    this.claim = new ExactSizeClaim(this, 'Claim', {
      metadata: { name, namespace },
      accessModes: toAccessModes(this, 'accessModes', accessModes),
      storageClassName,
      volume: this.volume,
    }, storage);
    this.volume.bind(this.claim);
    addChartValidations(this);
  }

  /** Host directory backing the volume. */
  public get path(): string {
    return this.volume.path;
  }

  /** Name of the claim (and of the volume): mount it in any pod with `persistentVolumeClaim.claimName`. */
  public get claimName(): string {
    return ApiObject.of(this.claim).name;
  }

  /** The claim as a cdk8s-plus-25 pod volume named `volumeName`. */
  public asVolume(scope: Construct, id: string, volumeName?: string): kplus.Volume {
    return kplus.Volume.fromPersistentVolumeClaim(scope, id, this.claim, { name: volumeName ?? ApiObject.of(this.claim).name });
  }
}

/** A claim requesting exactly the volume's capacity (cdk8s-plus renders whole gibibytes only). */
class ExactSizeClaim extends kplus.PersistentVolumeClaim {
  constructor(scope: Construct, id: string, props: kplus.PersistentVolumeClaimProps, private readonly request: string) {
    super(scope, id, props);
  }

  /** @internal */
  public _toKube(): kplus.k8s.PersistentVolumeClaimSpec {
    return { ...super._toKube(), resources: { requests: { storage: kplus.k8s.Quantity.fromString(this.request) } } };
  }
}
