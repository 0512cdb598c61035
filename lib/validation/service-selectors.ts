import { IConstruct, IValidation } from 'constructs';
import { describeProblem } from './configuration-error';
import { manifestObjects, PodTemplate, podTemplateOf } from './manifest';

/**
 * A Service must select the pods of exactly one workload. The original environment's mysql
 * Service selected `app: python-mysql`, so a third of its connections went to the web app.
 */
export class ServiceSelectsOneWorkload implements IValidation {
  constructor(private readonly chart: IConstruct) {}

  public validate(): string[] {
    const pods = manifestObjects(this.chart.node.root).map(podTemplateOf).filter((p): p is PodTemplate => p !== undefined);
    const errors: string[] = [];
    for (const svc of manifestObjects(this.chart).filter((o) => o.kind === 'Service')) {
      const selector = (svc.json.spec?.selector ?? {}) as Record<string, string>;
      if (Object.keys(selector).length === 0) continue; // selector-less Services have manual endpoints
      const selected = pods.filter((p) => p.owner.namespace === svc.namespace
        && Object.entries(selector).every(([k, v]) => p.labels[k] === v));
      const names = selected.map((p) => `${p.owner.kind} ${p.owner.name}`);
      if (selected.length > 1) {
        errors.push(describeProblem(svc.path, `Service ${svc.name} spec.selector`, selector,
          `selects the pods of ${names.join(' and ')}; a Service must select only its own workload's pods`,
          `select on a label only that workload's pods carry (e.g. its cdk8s-plus selector via deployment.exposeViaService(), or app.kubernetes.io/name=${selected[0].owner.name})`));
      } else if (selected.length === 0) {
        errors.push(describeProblem(svc.path, `Service ${svc.name} spec.selector`, selector,
          `selects no pods of any workload in namespace ${svc.namespace}, so it would have no endpoints`,
          'make the selector match the labels of the pods it fronts'));
      }
    }
    return errors;
  }
}
