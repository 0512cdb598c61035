import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { NodePortsUnique } from './node-ports-unique';
import { ReferencesExist } from './references';
import { ServiceSelectsOneWorkload } from './service-selectors';

const registered = new WeakSet<Chart>();

/**
 * Adds the cross-object checks (unique NodePorts, Service selectors, existing references) to the
 * chart holding `scope`, once. The library's constructs call this, so any chart that uses them
 * gets the checks at synth.
 */
export function addChartValidations(scope: IConstruct): void {
  const chart = Chart.of(scope);
  if (registered.has(chart)) return;
  registered.add(chart);
  chart.node.addValidation(new NodePortsUnique(chart));
  chart.node.addValidation(new ServiceSelectsOneWorkload(chart));
  chart.node.addValidation(new ReferencesExist(chart));
}

/** The library's cross-object checks, for charts that also hold hand-written or other libraries' objects. */
export class ChartValidations {
  /**
   * Adds unique NodePorts, Services selecting exactly one workload, and existing Secret / ConfigMap /
   * claim references to the chart holding `scope`, once (the library's constructs do this themselves).
   */
  public static addTo(scope: IConstruct): void {
    addChartValidations(scope);
  }

  private constructor() {}
}
