import { synthChart } from './test/support/manifests';

// The manifests the dev environment applies, pinned. Update with `npx jest -u` only when the change is intended.
test('dev-environment chart', () => {
  expect(synthChart()).toMatchSnapshot();
});
