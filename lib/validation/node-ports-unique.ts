import { IConstruct, IValidation } from 'constructs';
import { describeProblem } from './configuration-error';
import { manifestObjects } from './manifest';

interface ServicePortJson { nodePort?: number; port?: number }

/** A NodePort can be allocated once per cluster; two Services asking for it make the second apply fail. */
export class NodePortsUnique implements IValidation {
  constructor(private readonly chart: IConstruct) {}

  public validate(): string[] {
    const owners = new Map<number, string[]>();
    for (const svc of manifestObjects(this.chart.node.root).filter((o) => o.kind === 'Service')) {
      for (const p of (svc.json.spec?.ports ?? []) as ServicePortJson[]) {
        if (p.nodePort === undefined) continue;
        owners.set(p.nodePort, [...(owners.get(p.nodePort) ?? []), `${svc.path} (Service ${svc.name})`]);
      }
    }
    const mine = new Set(manifestObjects(this.chart).map((o) => o.path));
    const errors: string[] = [];
    for (const [nodePort, users] of owners) {
      if (users.length < 2) continue;
      const first = users[0].split(' ')[0];
      if (!mine.has(first)) continue; // reported once, by the chart holding the first user
      errors.push(describeProblem(first, 'nodePort', nodePort, `used by ${users.length} Services: ${users.join(', ')}`,
        'give each Service its own nodePort from 30000-32767'));
    }
    return errors;
  }
}
