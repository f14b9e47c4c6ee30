import type { DnsQuery } from '@packetpilot/protocol';
import { useDevicesStore } from '@/stores/devices';
import { useNoticesStore } from '@/stores/notices';
import { useRulesStore } from '@/stores/rules';
import { findDeviceRule } from '@/stores/rule-text';

/** "Block this domain for this device" from a query log row: a device-scoped domain rule. */
export function useBlockDomain() {
  const rules = useRulesStore();
  const devices = useDevicesStore();
  const notices = useNoticesStore();

  return async function blockDomain(q: DnsQuery): Promise<void> {
    const target = { type: 'domain', value: q.name } as const;
    const who = devices.labelOf(q.deviceId);
    try {
      const existing = findDeviceRule(rules.list, q.deviceId, 'block', target);
      if (existing) {
        if (!existing.enabled) await rules.update(existing.id, { enabled: true });
      } else {
        await rules.create({ action: 'block', target, scope: { type: 'device', id: q.deviceId } });
      }
      notices.ok(`${q.name} blocked for ${who}`);
    } catch (err) {
      notices.error(err);
    }
  };
}
