import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { ReloadStrategy } from '../reload-strategy';
import { checkAbsolutePath, checkGlob, checkPositiveDuration } from '../validation/checks';
import { ConfigurationError } from '../validation/configuration-error';
import { OnChangeTrigger, WatchDefaults, WatchOptions } from '../watch-options';
import { SupervisorScript } from './supervisor-script';

/** Where the supervisor keeps its state in the pod: the /tmp emptyDir, never the code mount. */
export const SUPERVISOR_STATE_DIR = '/tmp/hot-reload';

/**
 * The environment variables supervisor.sh reads: the whole contract between the construct and the
 * script, named in one place (the script's header documents the same names and their defaults).
 */
export const SUPERVISOR_ENV = {
  watch: 'HOT_RELOAD_WATCH',
  include: 'HOT_RELOAD_INCLUDE',
  exclude: 'HOT_RELOAD_EXCLUDE',
  onChange: 'HOT_RELOAD_ON_CHANGE',
  interval: 'HOT_RELOAD_INTERVAL',
  maxInterval: 'HOT_RELOAD_MAX_INTERVAL',
  debounce: 'HOT_RELOAD_DEBOUNCE',
  grace: 'HOT_RELOAD_GRACE',
  stateDir: 'HOT_RELOAD_STATE_DIR',
} as const;

/** What HotReloadDeployment passes on to the supervisor (its own props, unresolved). */
export interface SupervisorConfigProps {
  /** Absolute path of the code mount: watch paths must lie under it. */
  readonly codeMountPath: string;
  /** @default ReloadStrategy.SUPERVISOR */
  readonly strategy?: ReloadStrategy;
  /** @default - see WatchOptions */
  readonly watch?: WatchOptions;
  /** @default - none */
  readonly onChange?: OnChangeTrigger[];
  /** Time between TERM and KILL. @default Duration.seconds(2) */
  readonly stopGracePeriod?: Duration;
}

/**
 * The supervisor's configuration, resolved once: validated (errors name the construct path, the
 * field, the value and the fix) and with every default applied. `toEnv()` renders it for the script.
 */
export class SupervisorConfig {
  public readonly strategy: ReloadStrategy;
  public readonly watchPaths: string[];
  /** Base-name globs that count; empty means every file. Trigger globs are added (see toEnv). */
  public readonly include: string[];
  public readonly exclude: string[];
  public readonly interval: Duration;
  public readonly maxInterval: Duration;
  public readonly debounce: Duration;
  public readonly grace: Duration;
  public readonly onChange: OnChangeTrigger[];
  public readonly stateDir = SUPERVISOR_STATE_DIR;
  /** The interval as the user gave it (the liveness probe's period defaults to 1 s, not to 100 ms). */
  private readonly givenInterval?: Duration;

  constructor(scope: Construct, props: SupervisorConfigProps) {
    const path = scope.node.path;
    const codeMountPath = props.codeMountPath;
    const watch = props.watch ?? {};
    this.strategy = props.strategy ?? ReloadStrategy.SUPERVISOR;
    this.grace = checkPositiveDuration(scope, 'stopGracePeriod', props.stopGracePeriod ?? Duration.seconds(2));
    this.watchPaths = (watch.paths ?? [codeMountPath]).map((p, i) => {
      const checked = checkAbsolutePath(scope, `watch.paths[${i}]`, p);
      if (checked !== codeMountPath && !checked.startsWith(`${codeMountPath}/`)) {
        throw new ConfigurationError(path, `watch.paths[${i}]`, p, `outside the code mount ${codeMountPath}, so no edit on the host would ever show up there`, `watch ${codeMountPath} or a directory under it`);
      }
      return checked;
    });
    if (this.watchPaths.length === 0) throw new ConfigurationError(path, 'watch.paths', [], 'nothing to watch', `omit watch.paths to watch ${codeMountPath}`);
    this.include = (watch.include ?? []).map((g, i) => checkGlob(scope, `watch.include[${i}]`, g));
    const onChange = props.onChange ?? [];
    if (this.strategy === ReloadStrategy.RESTART_CONTAINER && onChange.length > 0) {
      throw new ConfigurationError(path, 'onChange', onChange, 'ReloadStrategy.RESTART_CONTAINER restarts the container and runs no onChange commands',
        'use ReloadStrategy.SUPERVISOR, or run the commands in the image or an init container');
    }
    this.exclude = (watch.exclude ?? WatchDefaults.excludes()).map((g, i) => checkGlob(scope, `watch.exclude[${i}]`, g));
    this.givenInterval = watch.interval;
    this.interval = checkPositiveDuration(scope, 'watch.interval', watch.interval ?? Duration.millis(100));
    this.debounce = checkPositiveDuration(scope, 'watch.debounce', watch.debounce ?? Duration.millis(50));
    this.maxInterval = checkPositiveDuration(scope, 'watch.maxInterval', watch.maxInterval ?? Duration.seconds(1));
    this.onChange = onChange.map((t, i) => {
      checkGlob(scope, `onChange[${i}].glob`, t.glob);
      if (!t.command.trim() || t.command.includes('\n')) {
        throw new ConfigurationError(path, `onChange[${i}].command`, t.command, 'must be one non-empty line of shell', 'join steps with "&&", e.g. "npm install && npm run build"');
      }
      return { glob: t.glob, command: t.command };
    });
  }

  /** The HOT_RELOAD_* variables supervisor.sh reads (see its header), in a stable order. */
  public toEnv(): Record<string, string> {
    const env: Record<string, string> = {
      [SUPERVISOR_ENV.watch]: this.watchPaths.join(':'),
      [SUPERVISOR_ENV.exclude]: this.exclude.join(' '),
      [SUPERVISOR_ENV.interval]: seconds(this.interval),
      [SUPERVISOR_ENV.maxInterval]: seconds(this.maxInterval),
      [SUPERVISOR_ENV.debounce]: seconds(this.debounce),
      [SUPERVISOR_ENV.grace]: seconds(this.grace),
      [SUPERVISOR_ENV.stateDir]: this.stateDir,
    };
    // A trigger's files must be in the listing, or its command never runs.
    const triggerGlobs = this.onChange.map((t) => t.glob).filter((g) => !this.include.includes(g));
    if (this.include.length > 0) env[SUPERVISOR_ENV.include] = [...this.include, ...new Set(triggerGlobs)].join(' ');
    if (this.onChange.length > 0) env[SUPERVISOR_ENV.onChange] = this.onChange.map((t) => `${t.glob} ${t.command}`).join('\n');
    return env;
  }

  /** The container command: the app's command under the supervisor, in the strategy's mode. */
  public containerCommand(command: string[]): string[] {
    const mode = this.strategy === ReloadStrategy.SUPERVISOR ? 'supervise' : 'baseline';
    return ['/bin/sh', SupervisorScript.PATH, mode, '--', ...command];
  }

  /** RESTART_CONTAINER: liveness fails when the tree differs from the baseline taken at start. */
  public livenessProbe(): kplus.Probe | undefined {
    if (this.strategy !== ReloadStrategy.RESTART_CONTAINER) return undefined;
    const period = Math.max(1, Math.ceil((this.givenInterval ?? Duration.seconds(1)).toMilliseconds() / 1000));
    return kplus.Probe.fromCommand(['/bin/sh', SupervisorScript.PATH, 'probe'], {
      periodSeconds: Duration.seconds(period),
      failureThreshold: 1,
      timeoutSeconds: Duration.seconds(5),
    });
  }
}

function seconds(d: Duration): string {
  return String(d.toMilliseconds() / 1000);
}
