import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';

/** Directory the supervisor ConfigMap is mounted at, and the script's key in it. */
export const SUPERVISOR_MOUNT_PATH = '/hot-reload';
export const SUPERVISOR_SCRIPT_KEY = 'supervisor.sh';
export const SUPERVISOR_SCRIPT_PATH = `${SUPERVISOR_MOUNT_PATH}/${SUPERVISOR_SCRIPT_KEY}`;

/** The reload supervisor (a POSIX sh script kept as a real file next to this one). */
export function supervisorScript(): string {
  return readFileSync(join(__dirname, SUPERVISOR_SCRIPT_KEY), 'utf-8');
}

/** Short content hash, put on the pod template so that a new script rolls the pods. */
export function supervisorScriptHash(): string {
  return createHash('sha256').update(supervisorScript()).digest('hex').slice(0, 16);
}
