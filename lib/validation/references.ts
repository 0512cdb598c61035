import { IConstruct, IValidation } from 'constructs';
import * as kplus from 'cdk8s-plus-25';
import { describeProblem } from './configuration-error';
import { manifestObjects, PodTemplate, podTemplateOf } from './manifest';

type RefKind = 'Secret' | 'ConfigMap' | 'PersistentVolumeClaim';

const IMPORT_HINT: Record<RefKind, string> = {
  Secret: 'kplus.Secret.fromSecretName(scope, id, NAME)',
  ConfigMap: 'kplus.ConfigMap.fromConfigMapName(scope, id, NAME)',
  PersistentVolumeClaim: 'kplus.PersistentVolumeClaim.fromClaimName(scope, id, NAME)',
};

const RESOURCE_TYPE_KIND: Record<string, RefKind> = {
  secrets: 'Secret',
  configmaps: 'ConfigMap',
  persistentvolumeclaims: 'PersistentVolumeClaim',
};

interface Reference { readonly kind: RefKind; readonly name: string; readonly field: string }

/**
 * Every Secret, ConfigMap and claim a pod uses must be defined in the app or declared external
 * (cdk8s-plus `fromXxxName` imports). Otherwise the pod sits in ContainerCreating with an event
 * nobody reads; we would rather fail at synth.
 */
export class ReferencesExist implements IValidation {
  constructor(private readonly chart: IConstruct) {}

  public validate(): string[] {
    const app = this.chart.node.root;
    const all = manifestObjects(app);
    const known = new Set(all.map((o) => key(o.kind, o.name)));
    for (const c of app.node.findAll()) {
      const imported = c as unknown as { resourceType?: unknown; name?: unknown };
      const kind = typeof imported.resourceType === 'string' ? RESOURCE_TYPE_KIND[imported.resourceType] : undefined;
      if (kind && !(c instanceof kplus.Resource) && typeof imported.name === 'string') known.add(key(kind, imported.name));
    }
    const errors: string[] = [];
    for (const obj of manifestObjects(this.chart)) {
      const pod = podTemplateOf(obj);
      if (!pod) continue;
      for (const ref of referencesOf(pod)) {
        if (known.has(key(ref.kind, ref.name))) continue;
        errors.push(describeProblem(obj.path, `${obj.kind} ${obj.name} ${ref.field}`, ref.name,
          `no ${ref.kind} "${ref.name}" is defined in this app or declared external`,
          `define it in the app, or if it is created outside the chart declare it with ${IMPORT_HINT[ref.kind].replace('NAME', `"${ref.name}"`)}`));
      }
    }
    return errors;
  }
}

function key(kind: string, name: string): string {
  return `${kind}/${name}`;
}

function referencesOf(pod: PodTemplate): Reference[] {
  const refs: Reference[] = [];
  const at = pod.specPath;
  (pod.spec.volumes ?? []).forEach((v, i) => {
    const vol = `${at}.volumes[${i}]`;
    if (v.secret?.secretName && !v.secret.optional) refs.push({ kind: 'Secret', name: v.secret.secretName, field: `${vol}.secret.secretName` });
    if (v.configMap?.name && !v.configMap.optional) refs.push({ kind: 'ConfigMap', name: v.configMap.name, field: `${vol}.configMap.name` });
    if (v.persistentVolumeClaim) refs.push({ kind: 'PersistentVolumeClaim', name: v.persistentVolumeClaim.claimName, field: `${vol}.persistentVolumeClaim.claimName` });
    (v.projected?.sources ?? []).forEach((p, j) => {
      if (p.secret?.name && !p.secret.optional) refs.push({ kind: 'Secret', name: p.secret.name, field: `${vol}.projected.sources[${j}].secret.name` });
      if (p.configMap?.name && !p.configMap.optional) refs.push({ kind: 'ConfigMap', name: p.configMap.name, field: `${vol}.projected.sources[${j}].configMap.name` });
    });
  });
  (pod.spec.imagePullSecrets ?? []).forEach((s, i) => {
    if (s.name) refs.push({ kind: 'Secret', name: s.name, field: `${at}.imagePullSecrets[${i}].name` });
  });
  const containers = [...(pod.spec.initContainers ?? []).map((c) => ['initContainers', c] as const), ...pod.spec.containers.map((c) => ['containers', c] as const)];
  for (const [list, c] of containers) {
    const where = `${at}.${list}[${c.name}]`;
    (c.env ?? []).forEach((e) => {
      const s = e.valueFrom?.secretKeyRef;
      if (s?.name && !s.optional) refs.push({ kind: 'Secret', name: s.name, field: `${where}.env[${e.name}].valueFrom.secretKeyRef.name` });
      const m = e.valueFrom?.configMapKeyRef;
      if (m?.name && !m.optional) refs.push({ kind: 'ConfigMap', name: m.name, field: `${where}.env[${e.name}].valueFrom.configMapKeyRef.name` });
    });
    (c.envFrom ?? []).forEach((e, i) => {
      if (e.secretRef?.name && !e.secretRef.optional) refs.push({ kind: 'Secret', name: e.secretRef.name, field: `${where}.envFrom[${i}].secretRef.name` });
      if (e.configMapRef?.name && !e.configMapRef.optional) refs.push({ kind: 'ConfigMap', name: e.configMapRef.name, field: `${where}.envFrom[${i}].configMapRef.name` });
    });
  }
  return refs;
}
