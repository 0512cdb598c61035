import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { AppVolume, CodeVolume, podVolume } from './code-volume';
import { ContainerResourceOptions, resourceRequirements } from './container-resources';
import { HostPathStorage } from './host-path-storage';
import { ImagePullPolicy, toPullPolicy } from './image-pull-policy';
import { ReadinessCheck, readinessProbe } from './readiness';
import { ReloadOptions, ReloadStrategy } from './reload-strategy';
import { SupervisorConfig } from './supervisor/supervisor-config';
import { SupervisorScript } from './supervisor/supervisor-script';
import { dropServiceDefaults, dropWorkloadDefaults, setResources } from './server-defaults';
import {
  checkAbsolutePath, checkCommand, checkDataKey, checkName, checkNodePort, checkPort, checkSecretName,
} from './validation/checks';
import { addChartValidations } from './validation/chart-validations';
import { ConfigurationError } from './validation/configuration-error';
import { OnChangeTrigger, WatchOptions } from './watch-options';

/**
 * A key of a Secret, for an environment variable. The Secret is named, not passed as an object, so a
 * chart on any cdk8s-plus version can use it; naming it declares it (it is defined in the chart or
 * created outside it).
 */
export interface SecretKeyRef {
  /** Name of the Secret, e.g. `shop-db`. */
  readonly secretName: string;
  /** Key in the Secret, e.g. `password`. */
  readonly key: string;
}

export interface HotReloadDeploymentProps {
  /** Image with the app's runtime and a `/bin/sh` (busybox or GNU). */
  readonly image: string;

  /** The app's command, run by the supervisor in the working directory, e.g. from `ReloadPresets`. */
  readonly command: string[];

  /** Port the app listens on. */
  readonly port: number;

  /** Where the code comes from: a HostPathStorage (its claim is mounted). Give this or `codeVolume`. */
  readonly codeStorage?: HostPathStorage;

  /** Any other volume holding the code: a claim by name or a host path. Give this or `codeStorage`. */
  readonly codeVolume?: CodeVolume;

  /**
   * More volumes for the app (a cache, uploads, settings), each a claim, host path, ConfigMap, Secret
   * or emptyDir described by name or path, and where to mount it.
   * @default - none
   */
  readonly volumes?: AppVolume[];

  /**
   * Mount the code read-only, so nothing in the pod can change the developer's files. Leave it
   * writable when an onChange command writes into the tree (e.g. `npm install`).
   * @default false
   */
  readonly readOnlyCode?: boolean;

  /**
   * Where the code is mounted in the container.
   * @default '/code'
   */
  readonly codeMountPath?: string;

  /**
   * Name of the Deployment, its Service, ConfigMap and pod label `app.kubernetes.io/name`.
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * @default - the code mount path
   */
  readonly workingDir?: string;

  /** @default - the whole code mount, default excludes, polled every 100 ms within a 2 % CPU budget */
  readonly watch?: WatchOptions;

  /**
   * Commands to run before the restart when matching files changed.
   * @default - none
   */
  readonly onChange?: OnChangeTrigger[];

  /** @default ReloadStrategy.SUPERVISOR */
  readonly strategy?: ReloadStrategy;

  /**
   * How a change is brought in (restart, or a signal for an in-place reload) and the check that must
   * pass first, so a broken save keeps the running app serving. Presets set it; ignored by
   * ReloadStrategy.RESTART_CONTAINER.
   * @default - restart the app's process group, no check
   */
  readonly reload?: ReloadOptions;

  /** Plain environment variables. @default - none */
  readonly env?: Record<string, string>;

  /** Environment variables read from Secret keys. @default - none */
  readonly secretEnv?: Record<string, SecretKeyRef>;

  /** Names of Secrets whose every key becomes an environment variable. @default - none */
  readonly envFromSecrets?: string[];

  /**
   * @default - a TCP check of `port` every 2 s, unready after 3 failures (longer than a reload)
   */
  readonly readiness?: ReadinessCheck;

  /**
   * Each field given replaces its default.
   * @default - requests 100m CPU / 128Mi, memory limit 512Mi, no CPU limit: a reload is a burst of
   * CPU (the app's interpreter and workers starting at once) that a CPU quota would throttle
   */
  readonly resources?: ContainerResourceOptions;

  /**
   * Expose the app on this NodePort (30000-32767) through a Service named like the app.
   * @default - no Service
   */
  readonly nodePort?: number;

  /** @default ImagePullPolicy.IF_NOT_PRESENT */
  readonly imagePullPolicy?: ImagePullPolicy;

  /**
   * UID to run as. Must be set when the image names its user instead of a numeric UID, because the
   * kubelet can only verify `runAsNonRoot` on numbers.
   * @default - the image's user
   */
  readonly user?: number;

  /**
   * Keep cdk8s-plus's read-only root filesystem. `/tmp` is always a writable emptyDir (the
   * supervisor keeps its fingerprints there).
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;

  /**
   * Time the app gets between TERM and KILL on a reload or on pod shutdown. The pod's
   * terminationGracePeriodSeconds is one second longer, so the supervisor finishes first.
   * @default Duration.seconds(2)
   */
  readonly stopGracePeriod?: Duration;
}

const TMP_PATH = '/tmp';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_RESOURCES: ContainerResourceOptions = { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '512Mi' };

/**
 * A Deployment whose container runs the app under the reload supervisor, with the code mounted
 * from the host: saving a file restarts the app in the running pod, typically within half a second.
 */
export class HotReloadDeployment extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly container: kplus.Container;
  public readonly supervisorConfig: kplus.ConfigMap;
  public readonly service?: kplus.Service;
  public readonly name: string;
  public readonly strategy: ReloadStrategy;
  private readonly secrets = new Map<string, kplus.ISecret>();

  constructor(scope: Construct, id: string, props: HotReloadDeploymentProps) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name ?? id);
    if (!props.image.trim()) throw new ConfigurationError(this.node.path, 'image', props.image, 'empty image reference', 'give an image such as "python:3.12-slim" or "localhost/my-app:dev"');
    const command = checkCommand(this, 'command', props.command);
    const port = checkPort(this, 'port', props.port);
    const nodePort = props.nodePort === undefined ? undefined : checkNodePort(this, 'nodePort', props.nodePort);
    const codeMountPath = checkAbsolutePath(this, 'codeMountPath', props.codeMountPath ?? '/code');
    this.checkMountDoesNotShadow(codeMountPath);
    const workingDir = checkAbsolutePath(this, 'workingDir', props.workingDir ?? codeMountPath);
    this.strategy = props.strategy ?? ReloadStrategy.SUPERVISOR;
    const supervisor = new SupervisorConfig(this, {
      codeMountPath, strategy: this.strategy, watch: props.watch, onChange: props.onChange, stopGracePeriod: props.stopGracePeriod,
      reload: props.reload, command, env: props.env,
    });
    const grace = supervisor.grace;
    for (const name of [...Object.keys(props.env ?? {}), ...Object.keys(props.secretEnv ?? {})]) {
      if (!ENV_NAME.test(name)) throw new ConfigurationError(this.node.path, 'env', name, 'not a portable environment variable name', 'use letters, digits and "_", not starting with a digit');
    }

    this.supervisorConfig = new kplus.ConfigMap(this, 'Supervisor', {
      metadata: { name: `${this.name}-supervisor` },
      data: supervisor.configMapData(),
    });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, labels: { 'app.kubernetes.io/name': this.name } },
      replicas: 1,
      podMetadata: {
        labels: { 'app.kubernetes.io/name': this.name },
        // A new supervisor script changes the ConfigMap only; this makes the pods roll too.
        annotations: { 'hot-reload.dev/supervisor-sha256': supervisor.shortHash() },
      },
      // Whole seconds (the API's unit), one more than the supervisor's grace so its KILL comes first.
      terminationGracePeriod: Duration.seconds(Math.ceil(grace.toMilliseconds() / 1000) + 1),
      securityContext: props.user === undefined ? undefined : { user: props.user, group: props.user },
    });

    this.container = this.deployment.addContainer({
      name: 'app',
      image: props.image,
      imagePullPolicy: toPullPolicy(this, 'imagePullPolicy', props.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT),
      command: supervisor.containerCommand(command),
      workingDir,
      ports: [{ number: port, name: 'http' }],
      envVariables: {
        ...mapValues(props.env ?? {}, (v) => kplus.EnvValue.fromValue(v)),
        ...mapValues(props.secretEnv ?? {}, (ref, name) => this.secretEnvValue(`secretEnv.${name}`, ref)),
        ...mapValues(supervisor.toEnv(), (v) => kplus.EnvValue.fromValue(v)),
      },
      envFrom: (props.envFromSecrets ?? []).map((s, i) => kplus.Env.fromSecret(this.secret(checkSecretName(this, `envFromSecrets[${i}]`, s)))),
      readiness: readinessProbe(this, 'readiness', props.readiness ?? {}, port),
      liveness: supervisor.livenessProbe(),
      resources: {}, // set below, canonical
      securityContext: {
        user: props.user,
        group: props.user,
        readOnlyRootFilesystem: props.readOnlyRootFilesystem ?? true,
      },
    });

    const code = this.codeVolume(props);
    // A writable mount is the default: `readOnly: false` would be dropped by the API server.
    this.container.mount(codeMountPath, code, props.readOnlyCode ? { readOnly: true } : undefined);
    setResources(this.deployment, resourceRequirements(this, 'resources', props.resources, DEFAULT_RESOURCES));
    this.container.mount(SupervisorScript.MOUNT_PATH, kplus.Volume.fromConfigMap(this, 'SupervisorVolume', this.supervisorConfig, { name: 'hot-reload-supervisor', defaultMode: 0o444 }), { readOnly: true });
    this.container.mount(TMP_PATH, kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp'));
    const extra = this.mountVolumes(props.volumes ?? [], codeMountPath);
    // Pod volumes follow the mounts: code, supervisor, tmp, then ours. For those from a claim,
    // cdk8s-plus writes `readOnly: false`, which the API server drops.
    const fromClaims = [props.codeStorage !== undefined || props.codeVolume?.claimName !== undefined ? 0 : -1, ...extra.map((v, i) => (v.claimName !== undefined ? 3 + i : -1))];
    dropWorkloadDefaults(this.deployment, fromClaims.filter((i) => i >= 0));

    if (nodePort !== undefined) {
      this.service = this.deployment.exposeViaService({
        name: this.name,
        serviceType: kplus.ServiceType.NODE_PORT,
        ports: [{ name: 'http', port, targetPort: port, nodePort }],
      });
      dropServiceDefaults(this.service);
    }
    addChartValidations(this);
  }

  private codeVolume(props: HotReloadDeploymentProps): kplus.Volume {
    if (props.codeStorage && props.codeVolume) {
      throw new ConfigurationError(this.node.path, 'codeStorage/codeVolume', 'both', 'the code can come from one place only', 'give either codeStorage or codeVolume');
    }
    if (props.codeStorage) return props.codeStorage.asVolume(this, 'CodeVolume', 'code');
    if (props.codeVolume) return podVolume(this, 'codeVolume', props.codeVolume, 'code', 'CodeVolume');
    throw new ConfigurationError(this.node.path, 'codeStorage', undefined, 'no code to mount, so nothing to reload', 'pass codeStorage: new HostPathStorage(this, "code", { path: "/path/on/node" })');
  }

  private secretEnvValue(field: string, ref: SecretKeyRef): kplus.EnvValue {
    const secret = this.secret(checkSecretName(this, `${field}.secretName`, ref.secretName));
    return secret.envValue(checkDataKey(this, `${field}.key`, ref.key));
  }

  /** One imported Secret per name: naming it declares it for the chart's reference checks. */
  private secret(name: string): kplus.ISecret {
    let secret = this.secrets.get(name);
    if (!secret) {
      secret = kplus.Secret.fromSecretName(this, `Secret-${name}`, name);
      this.secrets.set(name, secret);
    }
    return secret;
  }

  private mountVolumes(volumes: AppVolume[], codeMountPath: string): AppVolume[] {
    const taken = [codeMountPath, TMP_PATH, SupervisorScript.MOUNT_PATH];
    volumes.forEach((v, i) => {
      const field = `volumes[${i}]`;
      const mountPath = checkAbsolutePath(this, `${field}.mountPath`, v.mountPath);
      const clash = taken.find((t) => mountPath === '/' || mountPath === t || mountPath.startsWith(`${t}/`) || t.startsWith(`${mountPath}/`));
      if (clash) {
        throw new ConfigurationError(this.node.path, `${field}.mountPath`, v.mountPath, `overlaps ${clash === codeMountPath ? 'the code mount' : 'a mount of the supervisor'} ${clash}`,
          'mount it elsewhere, e.g. "/data" or "/var/cache/app"');
      }
      taken.push(mountPath);
      const readOnly = v.readOnly === true || v.configMapName !== undefined || v.secretName !== undefined;
      this.container.mount(mountPath, podVolume(this, field, v, `volume-${i}`, `Volume${i}`), readOnly ? { readOnly: true } : undefined);
    });
    return volumes;
  }

  private checkMountDoesNotShadow(codeMountPath: string): void {
    for (const reserved of [TMP_PATH, SupervisorScript.MOUNT_PATH, '/']) {
      if (codeMountPath === reserved || codeMountPath.startsWith(`${reserved}/`) && reserved !== '/') {
        throw new ConfigurationError(this.node.path, 'codeMountPath', codeMountPath, `collides with ${reserved}, which the supervisor mounts itself (or is the root)`, 'mount the code elsewhere, e.g. "/code" or "/app"');
      }
    }
  }
}

function mapValues<T, U>(obj: Record<string, T>, fn: (v: T, k: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v, k)]));
}
