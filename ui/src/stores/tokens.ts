import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ApiToken, ApiTokenCreate, ApiTokenCreated } from '@packetpilot/protocol';
import { api } from '@/api';

export const useTokensStore = defineStore('tokens', () => {
  const list = ref<ApiToken[]>([]);
  const loaded = ref(false);
  /** Everyone's tokens (admins) rather than only one's own. */
  const all = ref(false);

  async function load(): Promise<void> {
    list.value = await api.tokens({ all: all.value || undefined });
    loaded.value = true;
  }

  /** The reply carries the secret, shown once; the list is reloaded without it. */
  async function create(body: ApiTokenCreate): Promise<ApiTokenCreated> {
    const created = await api.createToken(body);
    await load();
    return created;
  }

  async function revoke(id: number): Promise<void> {
    await api.revokeToken(id);
    await load();
  }

  return { list, loaded, all, load, create, revoke };
});
