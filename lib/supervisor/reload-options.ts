/**
 * How the supervisor brings changed code into the running app, once the tree has settled and the
 * onChange commands have run. Presets choose one for their runtime.
 */
export class ReloadAction {
  /** Stop the app's whole process group (TERM, then KILL after the grace period) and start it again. Works for any command. */
  public static restart(): ReloadAction {
    return new ReloadAction('restart');
  }

  /**
   * Send a signal to the app's main process, for servers that reload in place (gunicorn: `HUP`
   * keeps the master and its listening socket and replaces the workers; uWSGI, puma, nginx have
   * equivalents). When the app is not running (it crashed), it is started instead; when its main
   * process has no handler for the signal (still starting, or a shell around the server), where the
   * signal would kill it, it is restarted instead.
   * @param signal signal name without the SIG prefix, e.g. `HUP` or `USR2`
   */
  public static signal(signal: string): ReloadAction {
    return new ReloadAction(`signal:${signal}`);
  }

  /** The action as the supervisor reads it (`HOT_RELOAD_ACTION`): `restart` or `signal:NAME`. */
  public readonly value: string;

  private constructor(value: string) {
    this.value = value;
  }
}

/** What the supervisor does on a change, beyond watching: see `ReloadPresets` for per-runtime choices. */
export interface ReloadOptions {
  /**
   * How the new code is brought in.
   * @default ReloadAction.restart()
   */
  readonly action?: ReloadAction;

  /**
   * Shell command run before the running app is touched, in the working directory, with the changed
   * files as arguments (`"$@"`; their list is also in the file `$HOT_RELOAD_CHANGED`). If it fails, the
   * running app keeps serving and its output is logged (e.g. `file:line: SyntaxError: ...`). It also runs,
   * without arguments, before the first start. A syntax check (`node --check`) or a build into a new file
   * that is then moved into place (`go build -o /tmp/app.next . && mv /tmp/app.next /tmp/app`).
   * @default - none
   */
  readonly check?: string;
}
