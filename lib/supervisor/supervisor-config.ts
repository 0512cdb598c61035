import { createHash } from 'crypto';
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { ReloadStrategy } from '../reload-strategy';
import { checkAbsolutePath, checkGlob, checkPositiveDuration } from '../validation/checks';
import { ConfigurationError } from '../validation/configuration-error';
import { OnChangeTrigger, WatchDefaults, WatchOptions } from '../watch-options';
import { ReloadAction, ReloadOptions } from './reload-options';
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
  action: 'HOT_RELOAD_ACTION',
  check: 'HOT_RELOAD_CHECK',
} as const;

/** Signals a ReloadAction.signal() may send: the ones servers use for a graceful in-place reload. */
const RELOAD_SIGNALS = ['HUP', 'USR1', 'USR2', 'WINCH', 'QUIT', 'INT', 'TERM'];

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
  /** Reload action and check (ignored by RESTART_CONTAINER, which restarts the container). @default - restart, no check */
  readonly reload?: ReloadOptions;
  /** The app's command and plain env: the helper files they name are shipped with the script. @default - none */
  readonly command?: string[];
  readonly env?: Record<string, string>;
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
  /** `restart` or `signal:NAME`. */
  public readonly action: string;
  public readonly check?: string;
  /** ConfigMap keys (file names under SupervisorScript.MOUNT_PATH) to ship: the script and the helpers used. */
  private readonly shipped: string[];
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
    this.interval = checkPositiveDuration(scope, 'watch.interval', watch.interval ?? Duration.millis(50));
    this.debounce = checkPositiveDuration(scope, 'watch.debounce', watch.debounce ?? Duration.millis(50));
    this.maxInterval = checkPositiveDuration(scope, 'watch.maxInterval', watch.maxInterval ?? Duration.seconds(1));
    this.onChange = onChange.map((t, i) => {
      checkGlob(scope, `onChange[${i}].glob`, t.glob);
      if (!t.command.trim() || t.command.includes('\n')) {
        throw new ConfigurationError(path, `onChange[${i}].command`, t.command, 'must be one non-empty line of shell', 'join steps with "&&", e.g. "npm install && npm run build"');
      }
      return { glob: t.glob, command: t.command };
    });
    const restartsContainer = this.strategy === ReloadStrategy.RESTART_CONTAINER;
    this.action = restartsContainer ? 'restart' : checkAction(scope, props.reload?.action ?? ReloadAction.restart());
    const check = restartsContainer ? undefined : props.reload?.check;
    if (check !== undefined && !check.trim()) {
      throw new ConfigurationError(path, 'reload.check', check, 'an empty command checks nothing', 'omit reload.check, or give a command such as "node --check \"$@\""');
    }
    this.check = check;
    const mentioned = [...(props.command ?? []), ...Object.values(props.env ?? {}), check ?? ''].join('\n');
    this.shipped = [SupervisorScript.KEY, ...SupervisorScript.HELPERS.filter((h) => mentioned.includes(`${SupervisorScript.MOUNT_PATH}/${h}`))];
  }

  /** The ConfigMap data: the script and the helper files the command, env or check name. */
  public configMapData(): Record<string, string> {
    return Object.fromEntries(this.shipped.map((key) => [key, SupervisorScript.file(key)]));
  }

  /** Short hash of what is shipped, put on the pod template so that a new script rolls the pods. */
  public shortHash(): string {
    if (this.shipped.length === 1) return SupervisorScript.shortHash();
    const hash = createHash('sha256');
    for (const [key, text] of Object.entries(this.configMapData())) hash.update(`${key}\0${text}\0`);
    return hash.digest('hex').slice(0, 16);
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
    if (this.action !== 'restart') env[SUPERVISOR_ENV.action] = this.action;
    if (this.check !== undefined) env[SUPERVISOR_ENV.check] = this.check;
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

function checkAction(scope: Construct, action: ReloadAction): string {
  const value = action.value;
  if (value === 'restart') return value;
  const signal = value.replace(/^signal:(SIG)?/, '').toUpperCase();
  if (!value.startsWith('signal:') || !RELOAD_SIGNALS.includes(signal)) {
    throw new ConfigurationError(scope.node.path, 'reload.action', value, `not a reload signal (one of ${RELOAD_SIGNALS.join(', ')})`,
      'use ReloadAction.signal("HUP") for a server that reloads in place on a signal, or ReloadAction.restart()');
  }
  return `signal:${signal}`;
}

function seconds(d: Duration): string {
  return String(d.toMilliseconds() / 1000);
}
