import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { UsageGroupBy, UsageSummary } from '@packetpilot/protocol';
import { api } from '@/api';
import { startOfToday, sumGroups, type GroupTotal } from './usage-math';

/** How many of today's top devices the network-wide service/category totals are summed over. */
const TOP_DEVICES = 10;

/** Today's usage across the network: top devices, and services/categories summed over them. */
export const useUsageStore = defineStore('usage', () => {
  const today = ref<UsageSummary | null>(null);
  const services = ref<GroupTotal[]>([]);
  const categories = ref<GroupTotal[]>([]);
  const loading = ref(false);

  async function groupsOver(deviceIds: number[], groupBy: UsageGroupBy, from: string, to: string) {
    const breakdowns = await Promise.all(
      deviceIds.map((id) => api.usageBreakdown(id, { from, to, groupBy })),
    );
    return sumGroups(breakdowns);
  }

  async function loadToday(): Promise<void> {
    loading.value = true;
    try {
      const now = new Date();
      const from = startOfToday(now).toISOString();
      const to = now.toISOString();
      const summary = await api.usageSummary({ from, to, limit: 100 });
      today.value = summary;
      const ids = summary.devices
        .filter((d) => d.deviceId > 0 && d.rxBytes + d.txBytes > 0)
        .slice(0, TOP_DEVICES)
        .map((d) => d.deviceId);
      const [s, c] = await Promise.all([
        groupsOver(ids, 'service', from, to),
        groupsOver(ids, 'category', from, to),
      ]);
      services.value = s;
      categories.value = c;
    } finally {
      loading.value = false;
    }
  }

  /** Today's bytes of one device (download + upload), or null before the summary is loaded. */
  function todayOf(deviceId: number): { rxBytes: number; txBytes: number } | null {
    if (!today.value) return null;
    return today.value.devices.find((d) => d.deviceId === deviceId) ?? { rxBytes: 0, txBytes: 0 };
  }

  return { today, services, categories, loading, loadToday, todayOf };
});
