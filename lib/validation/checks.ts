import * as path from 'path';
import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { Construct } from 'constructs';
import { ConfigurationError } from './configuration-error';

// Field checks shared by the constructs. Each throws a ConfigurationError naming the
// construct path, the field, the bad value and the fix.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name usable everywhere we use it, Service names included (RFC 1035 label). */
export function checkName(scope: Construct, field: string, value: string): string {
  if (value.length === 0 || value.length > 63 || !DNS1123_LABEL.test(value) || !/^[a-z]/.test(value)) {
    const suggestion = value.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+|-+$/g, '').slice(0, 63) || 'app';
    throw new ConfigurationError(scope.node.path, field, value, 'not a valid DNS-1123 name (lower-case letters, digits and "-", starting with a letter, at most 63 characters)', `use a name like "${suggestion}"`);
  }
  return value;
}

/** Node names are DNS-1123 subdomains (they may contain dots). */
export function checkNodeName(scope: Construct, field: string, value: string): string {
  if (value.length === 0 || value.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
    throw new ConfigurationError(scope.node.path, field, value, 'not a valid node name (a DNS-1123 subdomain)', 'use the node name `kubectl get nodes` shows, e.g. "kube"');
  }
  return value;
}

export function checkPort(scope: Construct, field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ConfigurationError(scope.node.path, field, value, 'not a TCP port', 'use an integer from 1 to 65535');
  }
  return value;
}

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export function checkNodePort(scope: Construct, field: string, value: number): number {
  if (!Number.isInteger(value) || value < NODE_PORT_MIN || value > NODE_PORT_MAX) {
    throw new ConfigurationError(scope.node.path, field, value, `outside the cluster's NodePort range ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
      `pick a port from ${NODE_PORT_MIN} to ${NODE_PORT_MAX} (e.g. 31000), or drop nodePort for a ClusterIP-only app`);
  }
  return value;
}

/** An absolute, normalized path (host or container): no relative parts, no "..". */
export function checkAbsolutePath(scope: Construct, field: string, value: string): string {
  if (!value || !path.posix.isAbsolute(value)) {
    throw new ConfigurationError(scope.node.path, field, value, 'not an absolute path; a relative path means a different directory on every node and container',
      `give the full path, e.g. "/vagrant/${value.replace(/^\.?\/*/, '') || 'app'}"`);
  }
  if (value.split('/').includes('..')) {
    throw new ConfigurationError(scope.node.path, field, value, 'contains ".."', `use the resolved path "${path.posix.normalize(value)}"`);
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

export function checkPositiveDuration(scope: Construct, field: string, value: Duration): Duration {
  const ms = value.toMilliseconds();
  if (!(ms > 0)) {
    throw new ConfigurationError(scope.node.path, field, `${ms}ms`, 'must be longer than zero', 'use e.g. Duration.millis(250) or Duration.seconds(2)');
  }
  return value;
}

export function checkCommand(scope: Construct, field: string, value: readonly string[]): string[] {
  if (value.length === 0 || value[0].trim() === '') {
    throw new ConfigurationError(scope.node.path, field, value, 'no program to run', 'give the program and its arguments, e.g. ["gunicorn", "--bind", "0.0.0.0:3000", "app:app"]');
  }
  return [...value];
}

export function checkSize(scope: Construct, field: string, value: Size): Size {
  const mib = value.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!(mib >= 1)) {
    throw new ConfigurationError(scope.node.path, field, `${mib}Mi`, 'a volume must hold at least 1Mi', 'use e.g. Size.gibibytes(1)');
  }
  return value;
}

/** Globs end up as `find -name` patterns in a space-separated list, so they cannot hold white space. */
export function checkGlob(scope: Construct, field: string, value: string): string {
  if (value === '' || /\s/.test(value) || value.includes('/')) {
    throw new ConfigurationError(scope.node.path, field, value, 'globs match base names of files and directories and cannot be empty or contain white space or "/"',
      'use a base-name pattern such as "*.py", "requirements.txt" or "node_modules"');
  }
  return value;
}
