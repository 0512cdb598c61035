import { ReloadAction, ReloadOptions } from './supervisor/reload-options';
import { SupervisorScript } from './supervisor/supervisor-script';

/** What a preset contributes to HotReloadDeploymentProps: the command, the env it needs and how it reloads. */
export interface RuntimePreset {
  readonly command: string[];
  readonly port: number;
  readonly env: Record<string, string>;
  /** The runtime's reload action and the check that must pass before it. */
  readonly reload: ReloadOptions;
}

export interface GunicornPresetOptions {
  /** WSGI entry point, `module:variable`. */
  readonly app: string;
  /** @default 8000 */
  readonly port?: number;
  /** @default 2 */
  readonly workers?: number;
}

export interface NodePresetOptions {
  /** Script to run with node, relative to the code directory. @default 'index.js' */
  readonly main?: string;
  /** @default 3000 */
  readonly port?: number;
}

export interface GoPresetOptions {
  /** Package to run. @default '.' */
  readonly pkg?: string;
  /** @default 8080 */
  readonly port?: number;
}

/** Where the Go preset builds: the /tmp emptyDir, never the code mount. */
const GO_BIN = '/tmp/hot-reload-go/app';

/**
 * Conveniences over `command` for common runtimes; spread the result into HotReloadDeploymentProps.
 * Each picks the runtime's fastest safe reload (docs/supervisor.md); the supervisor itself knows no
 * runtime, and any other command gets the default: a check-less restart.
 */
export class ReloadPresets {
  /**
   * Python WSGI app under gunicorn, reloaded in place: the changed .py files are compiled first (a
   * syntax error is logged with file and line and the running workers keep serving), then gunicorn
   * gets HUP, which keeps the master and its listening socket and replaces the workers. Third-party
   * modules are imported once in the master (a gunicorn config shipped with the supervisor, which
   * loads the app's own ./gunicorn.conf.py first), so a reload only imports the app's own code.
   * Bytecode is not written, so the code mount stays untouched. gunicorn >= 25 also wants a control
   * socket under $HOME; with a read-only root filesystem set `control_socket_disable = True` in the
   * app's gunicorn.conf.py (as python-mysql does).
   */
  public static gunicorn(options: GunicornPresetOptions): RuntimePreset {
    const port = options.port ?? 8000;
    return {
      command: ['gunicorn', '--bind', `0.0.0.0:${port}`, '--workers', String(options.workers ?? 2), options.app],
      port,
      env: {
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
        // --config here, not in the command: an explicit --config/-c of the user's still wins.
        GUNICORN_CMD_ARGS: `--config ${SupervisorScript.MOUNT_PATH}/gunicorn.conf.py`,
      },
      reload: {
        action: ReloadAction.signal('HUP'),
        // -S: no site import, the check needs only compile() (half the interpreter's start-up time)
        check: `python3 -S ${SupervisorScript.MOUNT_PATH}/check-python.py "$@"`,
      },
    };
  }

  /**
   * A Node.js server, reloaded in place without closing its port (no nodemon needed in the image):
   * `node /hot-reload/node-reload.cjs MAIN` runs MAIN in one cluster worker under a small primary that
   * holds the listening socket. On HUP a new worker loads the code as it is on disk and, once it
   * listens, the old one finishes its requests and exits; code that fails to load (a syntax error, a
   * throw at start-up) is logged by node with file and line while the old worker keeps serving. A spare
   * worker is kept booted so that a reload does not wait for node to start (`HOT_RELOAD_NODE_SPARE=0`
   * in `env` saves its ~40 MB). An app that forks its own cluster workers should use a plain `command`.
   */
  public static node(options: NodePresetOptions = {}): RuntimePreset {
    const port = options.port ?? 3000;
    return {
      command: ['node', `${SupervisorScript.MOUNT_PATH}/node-reload.cjs`, options.main ?? 'index.js'],
      port,
      env: { PORT: String(port), NODE_ENV: 'development' },
      reload: { action: ReloadAction.signal('HUP') },
    };
  }

  /**
   * A Go program built before it replaces the running one: `go build` into the /tmp emptyDir while
   * the old binary keeps serving; only a successful build is moved into place and restarted. A failed
   * build is logged with file and line. Build and module caches are in /tmp too.
   */
  public static go(options: GoPresetOptions = {}): RuntimePreset {
    const port = options.port ?? 8080;
    const dir = GO_BIN.slice(0, GO_BIN.lastIndexOf('/'));
    return {
      command: [GO_BIN],
      port,
      // The root filesystem is read-only: build and module caches go to the /tmp emptyDir.
      env: { PORT: String(port), GOCACHE: '/tmp/go-cache', GOMODCACHE: '/tmp/go-mod', GOFLAGS: '-buildvcs=false' },
      reload: { check: `mkdir -p ${dir} && go build -o ${GO_BIN}.next ${options.pkg ?? '.'} && mv -f ${GO_BIN}.next ${GO_BIN}` },
    };
  }
}
