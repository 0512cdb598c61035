import { Chart, ChartProps, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { HostPathType } from './host-path-persistent-volume';
import { HostPathStorage } from './host-path-storage';
import { HotReloadDeployment } from './hot-reload-deployment';
import { ImagePullPolicy } from './image-pull-policy';
import { MySql } from './mysql';
import { ReloadPresets } from './presets';
import { ReloadStrategy } from './reload-strategy';
import { StorageAccessMode } from './storage-options';

export interface DevEnvironmentChartProps extends ChartProps {
  /**
   * Image of the python-mysql app, built from python-mysql/Dockerfile inside the VM.
   * @default 'localhost/python-mysql:dev'
   */
  readonly appImage?: string;

  /** @default 'mysql:8.4' */
  readonly mysqlImage?: string;

  /**
   * Host directory with the app's code (the Vagrant synced folder).
   * @default '/vagrant/python-mysql'
   */
  readonly codePath?: string;

  /** @default '/var/lib/hot-reload/mysql' */
  readonly mysqlDataPath?: string;

  /** @default 31000 */
  readonly nodePort?: number;

  /** @default ReloadStrategy.SUPERVISOR */
  readonly reloadStrategy?: ReloadStrategy;

  /**
   * Secret with keys `username`, `password` and `root-password`, created outside the chart.
   * @default 'mysql-credentials'
   */
  readonly credentialsSecret?: string;
}

/** UID of the app image's user (python-mysql/Dockerfile). */
const APP_UID = 10001;
const APP_PORT = 3000;
const DATABASE = 'hotreload';

/**
 * The original environment, rebuilt: MySQL plus the python-mysql app, whose code is mounted from the
 * host and hot-reloaded, on NodePort 31000 (http://kube:31000).
 */
export class DevEnvironmentChart extends Chart {
  public readonly mysql: MySql;
  public readonly app: HotReloadDeployment;

  constructor(scope: Construct, id: string, props: DevEnvironmentChartProps = {}) {
    super(scope, id, { namespace: 'default', ...props });
    const credentials = props.credentialsSecret ?? 'mysql-credentials';

    this.mysql = new MySql(this, 'mysql', {
      image: props.mysqlImage,
      database: DATABASE,
      credentialsSecret: credentials,
      data: new HostPathStorage(this, 'mysql-data', { path: props.mysqlDataPath ?? '/var/lib/hot-reload/mysql', storage: '5Gi' }),
    });

    const gunicorn = ReloadPresets.gunicorn({ app: 'application:application', port: APP_PORT });
    this.app = new HotReloadDeployment(this, 'python-mysql', {
      ...gunicorn,
      image: props.appImage ?? 'localhost/python-mysql:dev',
      // Built inside the VM and imported into containerd: there is no registry to pull from.
      imagePullPolicy: ImagePullPolicy.NEVER,
      user: APP_UID,
      codeStorage: new HostPathStorage(this, 'python-mysql-code', {
        path: props.codePath ?? '/vagrant/python-mysql',
        type: HostPathType.DIRECTORY,
        accessModes: [StorageAccessMode.READ_ONLY_MANY],
      }),
      strategy: props.reloadStrategy,
      nodePort: props.nodePort ?? 31000,
      readOnlyCode: true,
      env: {
        ...gunicorn.env,
        MYSQL_INSTANCE_NAME: DATABASE,
        MYSQL_TCP_ADDR: this.mysql.host(this.namespace),
        MYSQL_TCP_PORT: String(this.mysql.port),
      },
      secretEnv: {
        MYSQL_USERNAME: { secretName: credentials, key: 'username' },
        MYSQL_PASSWORD: { secretName: credentials, key: 'password' },
      },
      // Ready = can serve: /readyz logs in to the database afresh and queries (its own limit: 1 s).
      readiness: { httpPath: '/readyz', port: APP_PORT, period: Duration.seconds(2), timeout: Duration.seconds(2), failureThreshold: 3 },
    });
  }
}
