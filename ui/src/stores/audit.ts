import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AuditEntry, AuditQuery } from '@packetpilot/protocol';
import { api } from '@/api';

type Filter = Pick<AuditQuery, 'actor' | 'type'>;

export const useAuditStore = defineStore('audit', () => {
  const entries = ref<AuditEntry[]>([]);
  const next = ref<number | null>(null);
  const loaded = ref(false);
  const loading = ref(false);

  async function load(filter: Filter): Promise<void> {
    loading.value = true;
    try {
      const page = await api.audit({ ...filter, limit: 100 });
      entries.value = page.entries;
      next.value = page.next;
      loaded.value = true;
    } finally {
      loading.value = false;
    }
  }

  async function more(filter: Filter): Promise<void> {
    if (next.value === null) return;
    const page = await api.audit({ ...filter, limit: 100, before: next.value });
    entries.value = [...entries.value, ...page.entries];
    next.value = page.next;
  }

  return { entries, next, loaded, loading, load, more };
});
