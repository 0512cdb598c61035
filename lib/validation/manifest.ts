import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
// The pod fields read here are the same in cdk8s-plus-25's bindings as in Kubernetes 1.33.
import type { k8s } from 'cdk8s-plus-25';

// Read-only views of the synthesized objects, for validations that look across constructs.

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
}

export interface ManifestObject {
  /** Construct path of the ApiObject, used to point errors at their source. */
  readonly path: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly json: { readonly metadata?: ObjectMeta; readonly spec?: Record<string, unknown> };
}

/** A workload's pod template, with the JSON path prefix of its pod spec for error messages. */
export interface PodTemplate {
  readonly owner: ManifestObject;
  readonly labels: Record<string, string>;
  readonly spec: k8s.PodSpec;
  readonly specPath: string;
}

const DEFAULT_NAMESPACE = 'default';

export function manifestObjects(scope: IConstruct): ManifestObject[] {
  return scope.node.findAll().filter(ApiObject.isApiObject).map((o) => {
    const json = o.toJson();
    return {
      path: o.node.path,
      kind: o.kind,
      name: json.metadata?.name ?? o.name,
      namespace: json.metadata?.namespace ?? DEFAULT_NAMESPACE,
      json,
    };
  });
}

interface TemplateJson { metadata?: ObjectMeta; spec?: k8s.PodSpec }

export function podTemplateOf(obj: ManifestObject): PodTemplate | undefined {
  const spec = obj.json.spec ?? {};
  let template: TemplateJson | undefined;
  let specPath = 'spec.template.spec';
  switch (obj.kind) {
    case 'Pod':
      template = { metadata: obj.json.metadata, spec: spec as unknown as k8s.PodSpec };
      specPath = 'spec';
      break;
    case 'CronJob':
      template = ((spec.jobTemplate as { spec?: { template?: TemplateJson } } | undefined)?.spec?.template);
      specPath = 'spec.jobTemplate.spec.template.spec';
      break;
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job':
      template = spec.template as TemplateJson | undefined;
      break;
    default:
      return undefined;
  }
  if (!template?.spec) return undefined;
  return { owner: obj, labels: template.metadata?.labels ?? {}, spec: template.spec, specPath };
}
