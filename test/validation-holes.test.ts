import { Chart, Size } from 'cdk8s';
import { HostPathStorage, HotReloadDeployment, HotReloadDeploymentProps, ReloadPresets } from '../lib';
import { validationError } from './support/manifests';

// The five holes found by trying bad inputs as a user would (issue 9): each was accepted or failed
// with a message naming neither where nor how to fix it. Each now fails at synth with the construct
// path, the field, the value and the fix.

function app(chart: Chart, props: Partial<HotReloadDeploymentProps> = {}): HotReloadDeployment {
  return new HotReloadDeployment(chart, 'web', {
    ...ReloadPresets.node(),
    image: 'node:22-slim',
    codeStorage: new HostPathStorage(chart, 'web-code', { path: '/src/web' }),
    ...props,
  });
}

/** What a JavaScript or Python caller can pass where TypeScript would have stopped them. */
function untyped<T>(value: unknown): T {
  return value as T;
}

test('host path "/" (the node\'s root mounted writable and watched) is refused', () => {
  const message = validationError((c) => new HostPathStorage(c, 'code', { path: '/' }));
  expect(message).toMatch(/^\[test\/code\/Volume\] path="\/": is the node's root filesystem/);
  expect(message).toMatch(/Fix: give the directory of the code or the data, e\.g\. "\/vagrant\/my-app"/);
});

test('a Secret named "my db secret" in secretEnv is refused, not emitted', () => {
  const message = validationError((c) => app(c, { secretEnv: { DB_PASSWORD: { secretName: 'my db secret', key: 'password' } } }));
  expect(message).toMatch(/^\[test\/web\] secretEnv\.DB_PASSWORD\.secretName="my db secret": not a valid Secret name \(a DNS-1123 subdomain/);
  expect(message).toMatch(/Fix: use the Secret's real name, e\.g\. "my-db-secret"/);
  expect(validationError((c) => app(c, { envFromSecrets: ['Tokens'] }))).toMatch(/\[test\/web\] envFromSecrets\[0\]="Tokens": not a valid Secret name.*Fix: use the Secret's real name, e\.g\. "tokens"/);
});

test('onChange glob "[" (which find -name never matches) is refused', () => {
  const message = validationError((c) => app(c, { onChange: [{ glob: '[', command: 'npm install' }] }));
  expect(message).toMatch(/^\[test\/web\] onChange\[0\]\.glob="\[": has an unclosed bracket expression at position 0, so `find -name` would never match it/);
  expect(message).toMatch(/Fix: close the bracket expression \(e\.g\. "\[abc\]\.py"\), or escape a literal bracket as "\\\["/);
  expect(validationError((c) => app(c, { watch: { include: ['*.[ch'] } }))).toMatch(/watch\.include\[0\]="\*\.\[ch": has an unclosed bracket expression at position 2/);
  // Well-formed bracket expressions and escaped brackets still pass.
  expect(validationError((c) => app(c, { watch: { include: ['*.[ch]', '[!.]*', '[]]x', 'a\\[b'] } }))).toBe('');
});

test('storage "1 GB" from JavaScript gets a quantity error, not "toMebibytes is not a function"', () => {
  const message = validationError((c) => new HostPathStorage(c, 'data', { path: '/srv/data', storage: '1 GB' }));
  expect(message).toMatch(/^\[test\/data\] storage="1 GB": not a Kubernetes quantity of bytes/);
  expect(message).toMatch(/Fix: write it as Kubernetes does, e\.g\. "1Gi"/);
  // A cdk8s Size where a quantity belongs (the old API) is named too.
  expect(validationError((c) => new HostPathStorage(c, 'data', { path: '/srv/data', storage: untyped<string>(Size.gibibytes(1)) })))
    .toMatch(/^\[test\/data\] storage=\{.*\}: not a Kubernetes quantity of bytes.*Fix: write it as Kubernetes does, e\.g\. "1Gi"/);
});

test('a negative size gets path, field, value and fix (Size.gibibytes(-1) threw inside cdk8s, before any construct saw it)', () => {
  expect(() => Size.gibibytes(-1)).toThrow(/^Storage amounts cannot be negative/); // why storage is a quantity string now
  const message = validationError((c) => new HostPathStorage(c, 'data', { path: '/srv/data', storage: '-1Gi' }));
  expect(message).toMatch(/^\[test\/data\] storage="-1Gi": not a Kubernetes quantity of bytes.*Fix: write it as Kubernetes does, e\.g\. "1Gi"/);
  expect(validationError((c) => app(c, { resources: { memoryLimit: '-512Mi' } })))
    .toMatch(/^\[test\/web\] resources\.memoryLimit="-512Mi": not a Kubernetes quantity of bytes.*Fix: write it as Kubernetes does, e\.g\. "512Mi"/);
});

test('a Duration given as a plain number (JavaScript, Python) is named, not a TypeError', () => {
  expect(validationError((c) => app(c, { watch: { interval: untyped(100) } })))
    .toMatch(/^\[test\/web\] watch\.interval=100: not a cdk8s Duration\. Fix: use Duration\.millis\(250\) or Duration\.seconds\(2\)/);
});
