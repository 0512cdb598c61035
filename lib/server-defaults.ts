import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { ResourceRequirementsJson } from './container-resources';

// cdk8s-plus-25 writes some fields at values the API server drops when it stores an object
// (`omitempty` zero values). After ansible's apply, `kubectl apply --server-side -f dist/` then
// reports conflicts on fields nobody meant to set. The library's objects leave them out.

/** Drops `minReadySeconds: 0` and `hostNetwork: false`, and `readOnly: false` of the claim volumes at `claimVolumes`. */
export function dropWorkloadDefaults(deployment: kplus.Deployment, claimVolumes: number[]): void {
  const api = ApiObject.of(deployment);
  api.addJsonPatch(JsonPatch.remove('/spec/minReadySeconds'), JsonPatch.remove('/spec/template/spec/hostNetwork'));
  for (const i of claimVolumes) api.addJsonPatch(JsonPatch.remove(`/spec/template/spec/volumes/${i}/persistentVolumeClaim/readOnly`));
}

/** Drops `externalIPs: []`. */
export function dropServiceDefaults(service: kplus.Service): void {
  ApiObject.of(service).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));
}

/**
 * Sets the `resources` of the first container to these canonical quantities (cdk8s-plus-25 writes
 * memory in Mi only: "1024Mi"). The patch lands before the generated bindings serialize the spec, so
 * quantities go in as their `Quantity` objects.
 */
export function setResources(deployment: kplus.Deployment, resources: ResourceRequirementsJson): void {
  const quantities = (list?: Record<string, string>) => list && Object.fromEntries(Object.entries(list).map(([k, v]) => [k, kplus.k8s.Quantity.fromString(v)]));
  const value: kplus.k8s.ResourceRequirements = { limits: quantities(resources.limits), requests: quantities(resources.requests) };
  ApiObject.of(deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/resources', value));
}
