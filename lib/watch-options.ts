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
   * @default DEFAULT_WATCH_EXCLUDES
   */
  readonly exclude?: string[];

  /**
   * Time between two scans of the tree (stretched on big trees, see `maxInterval`).
   * @default Duration.millis(250)
   */
  readonly interval?: Duration;

  /**
   * Longest interval on large trees. Polling costs a `stat` per file: with 10,000 files a scan takes
   * tens of milliseconds of CPU, so the interval stretches until scanning is 2 % of the time, but
   * not beyond this, to keep noticing changes within about a second.
   * @default Duration.seconds(1)
   */
  readonly maxInterval?: Duration;

  /**
   * How long the tree must hold still before a restart, so that a burst of writes (an editor's
   * save, a `git checkout`) restarts the app once.
   * @default Duration.millis(50)
   */
  readonly debounce?: Duration;
}

/** Version-control, dependency and cache directories plus editor swap files. */
export const DEFAULT_WATCH_EXCLUDES: readonly string[] = [
  '.git', '.hg', '.svn', '__pycache__', 'node_modules', '.venv', '.mypy_cache', '.pytest_cache',
  '*.pyc', '*.swp', '*.swx', '*~', '.#*',
];

/** A command run (with `sh -c`, in the first watched directory) before the restart when a matching file changed. */
export interface OnChangeTrigger {
  /** Base-name glob of the changed file, e.g. `requirements.txt` or `*.proto`. */
  readonly glob: string;
  /** Shell command, e.g. `pip install -r requirements.txt`. If it fails, the old app keeps running. */
  readonly command: string;
}
