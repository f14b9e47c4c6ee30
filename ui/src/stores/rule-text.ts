/** Rules in words ("Block YouTube for Kid’s laptop"), shared by the rules, device and DNS pages. */
import type { Rule, RuleScope, RuleTarget } from '@packetpilot/protocol';

export interface Names {
  service: (id: string) => string;
  category: (id: string) => string;
  device: (id: number) => string;
}

export function describeTarget(t: RuleTarget, names: Pick<Names, 'service' | 'category'>): string {
  switch (t.type) {
    case 'internet':
      return 'the whole internet';
    case 'service':
      return names.service(t.id);
    case 'category':
      return `category ${names.category(t.id)}`;
    case 'domain':
      return t.value;
    case 'app':
      return `app ${t.name}`;
  }
}

export function describeScope(s: RuleScope, names: Pick<Names, 'device'>): string {
  return s.type === 'all' ? 'all devices' : names.device(s.id);
}

export function describeRule(r: Pick<Rule, 'action' | 'target' | 'scope'>, names: Names): string {
  const verb = r.action === 'block' ? 'Block' : 'Allow';
  return `${verb} ${describeTarget(r.target, names)} for ${describeScope(r.scope, names)}`;
}

/** The device-scoped rule that blocks exactly this target, if any (quick actions toggle it). */
export function findDeviceRule(
  rules: readonly Rule[],
  deviceId: number,
  action: Rule['action'],
  target: RuleTarget,
): Rule | undefined {
  return rules.find(
    (r) =>
      r.action === action &&
      r.scope.type === 'device' &&
      r.scope.id === deviceId &&
      sameTarget(r.target, target),
  );
}

export function sameTarget(a: RuleTarget, b: RuleTarget): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'service' && b.type === 'service') return a.id === b.id;
  if (a.type === 'category' && b.type === 'category') return a.id === b.id;
  if (a.type === 'domain' && b.type === 'domain') return a.value.toLowerCase() === b.value.toLowerCase();
  if (a.type === 'app' && b.type === 'app') return a.name.toLowerCase() === b.name.toLowerCase();
  return true;
}
