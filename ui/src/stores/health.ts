import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Health } from '@packetpilot/protocol';
import { api } from '@/api';

/** The gateway's health and its warnings (degraded states shown in the app's banner). */
export const useHealthStore = defineStore('health', () => {
  const health = ref<Health | null>(null);

  async function load(): Promise<void> {
    try {
      health.value = await api.health();
    } catch {
      /* the banner simply stays as it was; pages report their own errors */
    }
  }

  return { health, load };
});
