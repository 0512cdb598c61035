import * as path from 'path';
import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { ConfigurationError } from './configuration-error';
import { canonicalBytes, canonicalMillicores, parseBytes, parseMillicores } from './quantity';

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

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Names of nodes, Secrets and ConfigMaps are DNS-1123 subdomains (they may contain dots). */
export function checkSubdomain(scope: Construct, field: string, value: string, what: string, fix: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    throw new ConfigurationError(scope.node.path, field, value, `not a valid ${what} (a DNS-1123 subdomain: lower-case letters, digits, "-" and ".")`, fix);
  }
  return value;
}

export function checkNodeName(scope: Construct, field: string, value: string): string {
  return checkSubdomain(scope, field, value, 'node name', 'use the node name `kubectl get nodes` shows, e.g. "kube"');
}

/** A Secret referenced by name: the kubelet would fail to find `my db secret` only when the pod starts. */
export function checkSecretName(scope: Construct, field: string, value: string): string {
  const suggestion = String(value).toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'my-secret';
  return checkSubdomain(scope, field, value, 'Secret name', `use the Secret's real name, e.g. "${suggestion}" (kubectl get secrets)`);
}

/** Keys of Secrets and ConfigMaps. */
export function checkDataKey(scope: Construct, field: string, value: string): string {
  if (typeof value !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(value)) {
    throw new ConfigurationError(scope.node.path, field, value, 'not a valid Secret key (letters, digits, "-", "_" and ".")', 'use the key as `kubectl get secret NAME -o yaml` shows it under data, e.g. "password"');
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
  // From JavaScript or Python anything can arrive here; a plain number has no unit to trust.
  if (typeof (value as Partial<Duration> | undefined)?.toMilliseconds !== 'function') {
    throw new ConfigurationError(scope.node.path, field, value, 'not a cdk8s Duration', 'use Duration.millis(250) or Duration.seconds(2) from the cdk8s package');
  }
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

const ONE_MIB = 1024 * 1024;

/**
 * A byte quantity of at least 1Mi ("512Mi", "5Gi", "1G"), returned in the API server's canonical
 * form ("1024Mi" becomes "1Gi").
 */
export function checkBytes(scope: Construct, field: string, value: string, example: string): string {
  const q = typeof value === 'string' ? parseBytes(value.trim()) : undefined;
  if (!q) {
    throw new ConfigurationError(scope.node.path, field, value, 'not a Kubernetes quantity of bytes (a whole number with an optional unit Ki, Mi, Gi, Ti or k, M, G, T, no spaces)',
      `write it as Kubernetes does, e.g. "${example}"`);
  }
  if (q.bytes < ONE_MIB) {
    throw new ConfigurationError(scope.node.path, field, value, 'must be at least 1Mi', `use e.g. "${example}"`);
  }
  return canonicalBytes(q);
}

/** CPU as Kubernetes writes it ("250m", "1", "0.5"), returned canonically ("1000m" becomes "1"). */
export function checkCpu(scope: Construct, field: string, value: string): string {
  const millis = typeof value === 'string' ? parseMillicores(value.trim()) : undefined;
  if (millis === undefined) {
    throw new ConfigurationError(scope.node.path, field, value, 'not a positive Kubernetes CPU quantity', 'use millicores like "250m" or cores like "1"');
  }
  return canonicalMillicores(millis);
}

/** Globs end up as `find -name` patterns in a space-separated list, so they cannot hold white space. */
export function checkGlob(scope: Construct, field: string, value: string): string {
  if (typeof value !== 'string' || value === '' || /\s/.test(value) || value.includes('/')) {
    throw new ConfigurationError(scope.node.path, field, value, 'globs match base names of files and directories and cannot be empty or contain white space or "/"',
      'use a base-name pattern such as "*.py", "requirements.txt" or "node_modules"');
  }
  const problem = globSyntaxProblem(value);
  if (problem) {
    throw new ConfigurationError(scope.node.path, field, value, `${problem}, so \`find -name\` would never match it`,
      'close the bracket expression (e.g. "[abc].py"), or escape a literal bracket as "\\["');
  }
  return value;
}

/** What `find -name` (fnmatch) would reject or misread in a glob: a "[" with no closing "]", a trailing "\". */
function globSyntaxProblem(glob: string): string | undefined {
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '\\') {
      if (i + 1 === glob.length) return 'ends in an escape character "\\"';
      i++;
    } else if (glob[i] === '[') {
      let j = i + 1;
      if (glob[j] === '!' || glob[j] === '^') j++;
      if (glob[j] === ']') j++; // a "]" first in the set is a literal member
      const close = glob.indexOf(']', j);
      if (close < 0) return `has an unclosed bracket expression at position ${i}`;
      i = close;
    }
  }
  return undefined;
}

/** Looks a value of one of our enums up in its table, with a clear error for anything else. */
export function checkEnum<K extends string, V>(scope: Construct, field: string, value: K, table: Record<K, V>, enumName: string): V {
  if (!Object.prototype.hasOwnProperty.call(table, value)) {
    throw new ConfigurationError(scope.node.path, field, value, `not a ${enumName}`, `use one of ${Object.keys(table).map((k) => `"${k}"`).join(', ')} (${enumName}.*)`);
  }
  return table[value];
}
