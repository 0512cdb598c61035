import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';

/**
 * The reload supervisor: a POSIX sh script kept as a real file next to this one, shipped in the
 * app's ConfigMap and mounted read-only at `SupervisorScript.MOUNT_PATH`.
 */
export class SupervisorScript {
  /** Directory the supervisor ConfigMap is mounted at. */
  public static readonly MOUNT_PATH = '/hot-reload';
  /** The script's key in the ConfigMap (and its file name in this folder). */
  public static readonly KEY = 'supervisor.sh';
  /** Where the script is in the container. */
  public static readonly PATH = `${SupervisorScript.MOUNT_PATH}/${SupervisorScript.KEY}`;
  /** Helper files shipped beside the script when a command, env value or check names them. */
  public static readonly HELPERS = ['gunicorn.conf.py', 'check-python.py', 'node-reload.cjs'];

  /** The text of the script or of a helper file, as shipped. */
  public static file(key: string): string {
    return readFileSync(join(__dirname, key), 'utf-8');
  }

  /** The script's text, as shipped. */
  public static source(): string {
    return SupervisorScript.file(SupervisorScript.KEY);
  }

  /** Short content hash, put on the pod template so that a new script rolls the pods. */
  public static shortHash(): string {
    return createHash('sha256').update(SupervisorScript.source()).digest('hex').slice(0, 16);
  }

  private constructor() {}
}
