/** What a preset contributes to HotReloadDeploymentProps: the command and the env it needs. */
export interface RuntimePreset {
  readonly command: string[];
  readonly port: number;
  readonly env: Record<string, string>;
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

/**
 * Conveniences over `command` for common runtimes; spread the result into HotReloadDeploymentProps.
 * The supervisor treats them like any other command.
 */
export class ReloadPresets {
  /**
   * Python WSGI app under gunicorn. Bytecode is not written, so the code mount stays untouched.
   * gunicorn >= 25 also wants a control socket under $HOME; with a read-only root filesystem set
   * `control_socket_disable = True` in the app's gunicorn.conf.py (as python-mysql does).
   */
  public static gunicorn(options: GunicornPresetOptions): RuntimePreset {
    const port = options.port ?? 8000;
    return {
      command: ['gunicorn', '--bind', `0.0.0.0:${port}`, '--workers', String(options.workers ?? 2), options.app],
      port,
      env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    };
  }

  /** A Node.js server, restarted by the supervisor (no nodemon needed in the image). */
  public static node(options: NodePresetOptions = {}): RuntimePreset {
    const port = options.port ?? 3000;
    return { command: ['node', options.main ?? 'index.js'], port, env: { PORT: String(port), NODE_ENV: 'development' } };
  }

  /** A Go program rebuilt and run on every change; the build cache lives in /tmp, outside the tree. */
  public static go(options: GoPresetOptions = {}): RuntimePreset {
    const port = options.port ?? 8080;
    return {
      command: ['go', 'run', options.pkg ?? '.'],
      port,
      // The root filesystem is read-only: build and module caches go to the /tmp emptyDir.
      env: { PORT: String(port), GOCACHE: '/tmp/go-cache', GOMODCACHE: '/tmp/go-mod', GOFLAGS: '-buildvcs=false' },
    };
  }
}
