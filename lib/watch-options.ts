import { Duration } from 'cdk8s';

/** Which files the supervisor watches, and how often. */
export interface WatchOptions {
  /**
   * Absolute container paths to watch; each must lie under the code mount.
   * @default - the code mount path
   */
  readonly paths?: string[];

  /**
   * Base-name globs (`find -name` patterns) of the files that count, e.g. `["*.py", "*.html"]`.
   * The globs of `onChange` triggers are added, so that their files are watched too.
   * @default - every file
   */
  readonly include?: string[];

  /**
   * Base-name globs of files and directories to ignore (directories are not descended).
   * @default WatchDefaults.excludes()
   */
  readonly exclude?: string[];

  /**
   * Shortest time between two scans of the tree. The supervisor stretches it so that polling uses
   * at most 2 % of one core (measured CPU time), up to `maxInterval`; for a minute after a change
   * (someone is editing) up to 10 %, so the next save is noticed sooner.
   * @default Duration.millis(50)
   */
  readonly interval?: Duration;

  /**
   * Longest interval, reached on large trees: polling costs a `stat` per file, about 20 ms of CPU
   * per scan of 10,000 files on a 2-core VM. The cap keeps changes noticed within about a second,
   * at the price of more than 2 % CPU on larger trees (about 9 % for 50,000 files on that VM).
   * @default Duration.seconds(1)
   */
  readonly maxInterval?: Duration;

  /**
   * How long the tree must hold still before a restart, so that a burst of writes (an editor's
   * save, a `git checkout`) restarts the app once. A change whose timestamps are already that old
   * when it is seen is not waited for again (GNU find; busybox always waits).
   * @default Duration.millis(50)
   */
  readonly debounce?: Duration;
}

/** The excludes a watch gets when it names none. */
export class WatchDefaults {
  /**
   * Version-control, dependency and cache directories plus editor swap files (a fresh copy, to
   * extend: `exclude: [...WatchDefaults.excludes(), 'build']`).
   */
  public static excludes(): string[] {
    return [
      '.git', '.hg', '.svn', '__pycache__', 'node_modules', '.venv', '.mypy_cache', '.pytest_cache',
      '*.pyc', '*.swp', '*.swx', '*~', '.#*',
    ];
  }

  private constructor() {}
}

/** A command run (with `sh -c`, in the first watched directory) before the restart when a matching file changed. */
export interface OnChangeTrigger {
  /** Base-name glob of the changed file, e.g. `requirements.txt` or `*.proto`. */
  readonly glob: string;
  /** Shell command, e.g. `pip install -r requirements.txt`. If it fails, the old app keeps running. */
  readonly command: string;
}
