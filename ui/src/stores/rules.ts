import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Rule, RuleCreate, RulePatch, RuleTarget } from '@packetpilot/protocol';
import { api } from '@/api';
import { findDeviceRule } from './rule-text';

export const useRulesStore = defineStore('rules', () => {
  const list = ref<Rule[]>([]);
  const loaded = ref(false);
  const loading = ref(false);

  const byId = computed(() => new Map(list.value.map((r) => [r.id, r])));

  async function load(): Promise<void> {
    loading.value = true;
    try {
      list.value = await api.rules();
      loaded.value = true;
    } finally {
      loading.value = false;
    }
  }

  async function ensure(): Promise<void> {
    if (!loaded.value) await load();
  }

  /** Rules covering a device: its own and the all-device ones. */
  function forDevice(deviceId: number): Rule[] {
    return list.value.filter((r) => r.scope.type === 'all' || r.scope.id === deviceId);
  }

  /** Enabled rules scoped to exactly this device (the badge in the devices table). */
  function countOwn(deviceId: number): number {
    return list.value.filter((r) => r.enabled && r.scope.type === 'device' && r.scope.id === deviceId).length;
  }

  async function create(body: RuleCreate): Promise<Rule> {
    const rule = await api.createRule(body);
    list.value = [...list.value, rule];
    return rule;
  }

  async function update(id: number, patch: RulePatch): Promise<Rule> {
    const rule = await api.updateRule(id, patch);
    list.value = list.value.map((r) => (r.id === id ? rule : r));
    return rule;
  }

  /** Turns on the device's rule for `target` (re-enabling a disabled one) or creates it. */
  async function ensureDeviceRule(
    deviceId: number,
    action: Rule['action'],
    target: RuleTarget,
  ): Promise<void> {
    const existing = findDeviceRule(list.value, deviceId, action, target);
    if (existing) {
      if (!existing.enabled) await update(existing.id, { enabled: true });
      return;
    }
    await create({ action, target, scope: { type: 'device', id: deviceId } });
  }

  async function remove(id: number): Promise<void> {
    await api.deleteRule(id);
    list.value = list.value.filter((r) => r.id !== id);
  }

  return {
    list,
    loaded,
    loading,
    byId,
    load,
    ensure,
    forDevice,
    countOwn,
    create,
    update,
    ensureDeviceRule,
    remove,
  };
});
