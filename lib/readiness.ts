import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { checkCommand, checkPort, checkPositiveDuration } from './validation/checks';
import { ConfigurationError } from './validation/configuration-error';

/**
 * When the app counts as ready, as plain options any chart can give (whatever cdk8s-plus version it
 * uses): an HTTP GET of `httpPath`, a `command` run in the container, or else a TCP connect to the port.
 */
export interface ReadinessCheck {
  /** Ready when a GET of this path answers 200-399. Give this or `command`, not both. @default - no HTTP check */
  readonly httpPath?: string;

  /** Ready when this command exits 0 in the container. @default - no command */
  readonly command?: string[];

  /** Port of the HTTP or TCP check. @default - the app's port */
  readonly port?: number;

  /** @default Duration.seconds(2) */
  readonly period?: Duration;

  /** Failed checks in a row before the pod leaves its Service's endpoints. @default 3 */
  readonly failureThreshold?: number;

  /** @default Duration.seconds(1) */
  readonly timeout?: Duration;

  /** @default - check from the start */
  readonly initialDelay?: Duration;
}

/** The cdk8s-plus-25 probe for a ReadinessCheck, each option checked; `field` names the prop in errors. */
export function readinessProbe(scope: Construct, field: string, check: ReadinessCheck, appPort: number): kplus.Probe {
  const at = (name: string) => `${field}.${name}`;
  const options = {
    periodSeconds: checkPositiveDuration(scope, at('period'), check.period ?? Duration.seconds(2)),
    failureThreshold: check.failureThreshold ?? 3,
    timeoutSeconds: check.timeout === undefined ? undefined : checkPositiveDuration(scope, at('timeout'), check.timeout),
    initialDelaySeconds: check.initialDelay === undefined ? undefined : checkPositiveDuration(scope, at('initialDelay'), check.initialDelay),
  };
  if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
    throw new ConfigurationError(scope.node.path, at('failureThreshold'), check.failureThreshold, 'must be a whole number of at least 1', 'use e.g. 3');
  }
  const port = checkPort(scope, at('port'), check.port ?? appPort);
  if (check.httpPath !== undefined && check.command !== undefined) {
    throw new ConfigurationError(scope.node.path, field, check, 'has both httpPath and command', 'give one of them (or neither, for a TCP check of the port)');
  }
  if (check.command !== undefined) return kplus.Probe.fromCommand(checkCommand(scope, at('command'), check.command), options);
  if (check.httpPath !== undefined) {
    if (typeof check.httpPath !== 'string' || !check.httpPath.startsWith('/')) {
      throw new ConfigurationError(scope.node.path, at('httpPath'), check.httpPath, 'not an absolute URL path', 'start it with "/", e.g. "/healthz"');
    }
    return kplus.Probe.fromHttpGet(check.httpPath, { ...options, port });
  }
  return kplus.Probe.fromTcpSocket({ ...options, port });
}
