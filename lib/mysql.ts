import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { ContainerResourceOptions, resourceRequirements } from './container-resources';
import { HostPathStorage } from './host-path-storage';
import { ImagePullPolicy, toPullPolicy } from './image-pull-policy';
import { dropServiceDefaults, dropWorkloadDefaults, setResources } from './server-defaults';
import { checkDataKey, checkName, checkPort, checkSecretName } from './validation/checks';
import { addChartValidations } from './validation/chart-validations';
import { ConfigurationError } from './validation/configuration-error';

/** Keys of the credentials Secret. */
export interface MySqlCredentialKeys {
  /** @default 'username' */
  readonly username?: string;
  /** @default 'password' */
  readonly password?: string;
  /** @default 'root-password' */
  readonly rootPassword?: string;
}

export interface MySqlProps {
  /** Where the data directory lives. */
  readonly data: HostPathStorage;

  /**
   * Name of the Secret holding the passwords, e.g. `mysql-credentials`. Referenced, never created
   * here: create it in the cluster (see the README) or define it in your chart.
   */
  readonly credentialsSecret: string;

  /** @default - username, password, root-password */
  readonly credentialKeys?: MySqlCredentialKeys;

  /** Database created on first start for the app user. */
  readonly database: string;

  /**
   * Name of the Deployment and of the Service, i.e. the DNS name `<name>.<namespace>.svc`.
   * @default 'mysql'
   */
  readonly name?: string;

  /**
   * Any image following the official `mysql` image's conventions (MYSQL_* variables, `mysqladmin`).
   * @default 'mysql:8.4'
   */
  readonly image?: string;

  /** @default ImagePullPolicy.IF_NOT_PRESENT */
  readonly imagePullPolicy?: ImagePullPolicy;

  /** @default 3306 */
  readonly port?: number;

  /** Each field given replaces its default. @default - requests 250m CPU / 512Mi, limits 1 CPU / 1Gi */
  readonly resources?: ContainerResourceOptions;
}

const DEFAULT_RESOURCES: ContainerResourceOptions = { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '1', memoryLimit: '1Gi' };

/**
 * A single MySQL server: one writer (Recreate strategy, so two mysqld never share the data
 * directory during a rollout), data on a HostPathStorage, credentials from a referenced Secret,
 * ready when `mysqladmin ping` answers over TCP, and a Service selecting its pods only.
 */
export class MySql extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly service: kplus.Service;
  public readonly name: string;
  public readonly port: number;
  public readonly database: string;

  constructor(scope: Construct, id: string, props: MySqlProps) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name ?? 'mysql');
    this.port = checkPort(this, 'port', props.port ?? 3306);
    if (!/^[A-Za-z0-9_]{1,64}$/.test(props.database)) {
      throw new ConfigurationError(this.node.path, 'database', props.database, 'not a plain MySQL database name', 'use 1-64 letters, digits or "_", e.g. "hotreload"');
    }
    this.database = props.database;
    const keys = { username: 'username', password: 'password', rootPassword: 'root-password', ...props.credentialKeys };
    for (const [k, v] of Object.entries(keys)) checkDataKey(this, `credentialKeys.${k}`, v);
    const credentials = kplus.Secret.fromSecretName(this, 'Credentials', checkSecretName(this, 'credentialsSecret', props.credentialsSecret));

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, labels: { 'app.kubernetes.io/name': this.name } },
      replicas: 1,
      strategy: kplus.DeploymentStrategy.recreate(),
      podMetadata: { labels: { 'app.kubernetes.io/name': this.name } },
      // The official entrypoint starts as root to chown the data directory, then drops to the
      // mysql user itself; a non-root pod cannot initialise a fresh hostPath directory.
      securityContext: { ensureNonRoot: false },
    });
    const container = this.deployment.addContainer({
      name: 'mysql',
      image: props.image ?? 'mysql:8.4',
      imagePullPolicy: toPullPolicy(this, 'imagePullPolicy', props.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT),
      ports: [{ number: this.port, name: 'mysql' }],
      args: [`--port=${this.port}`],
      envVariables: {
        MYSQL_ROOT_PASSWORD: credentials.envValue(keys.rootPassword),
        MYSQL_USER: credentials.envValue(keys.username),
        MYSQL_PASSWORD: credentials.envValue(keys.password),
        MYSQL_DATABASE: kplus.EnvValue.fromValue(this.database),
      },
      // Ready = the app's account logs in over TCP and queries its database (mysqladmin ping passed
      // even on "access denied", and without credentials logged that denial every probe). A Secret
      // that no longer matches a kept data dir shows here. The password reaches the client through
      // MYSQL_PWD in its environment, never argv (ps) or a log; on success the probe prints nothing.
      readiness: kplus.Probe.fromCommand(['sh', '-c',
        `MYSQL_PWD="$MYSQL_PASSWORD" exec mysql --protocol=TCP --host=127.0.0.1 --port=${this.port} --connect-timeout=1 `
        + '--user="$MYSQL_USER" --batch --skip-column-names --execute="SELECT 1" "$MYSQL_DATABASE" >/dev/null'], {
        periodSeconds: Duration.seconds(2), timeoutSeconds: Duration.seconds(2), failureThreshold: 3,
      }),
      resources: {}, // set below, canonical
      securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: true },
    });
    container.mount('/var/lib/mysql', props.data.asVolume(this, 'DataVolume', 'data'));
    // The only other places mysqld and its entrypoint write to, with a read-only root filesystem.
    container.mount('/var/run/mysqld', kplus.Volume.fromEmptyDir(this, 'RunVolume', 'run'));
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp'));
    setResources(this.deployment, resourceRequirements(this, 'resources', props.resources, DEFAULT_RESOURCES));
    dropWorkloadDefaults(this.deployment, [0]); // the data claim is the first volume

    this.service = this.deployment.exposeViaService({
      name: this.name,
      serviceType: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'mysql', port: this.port, targetPort: this.port }],
    });
    dropServiceDefaults(this.service);
    addChartValidations(this);
  }

  /** In-cluster DNS name of the server, e.g. `mysql.default.svc`. */
  public host(namespace = 'default'): string {
    return `${this.name}.${namespace}.svc`;
  }
}
