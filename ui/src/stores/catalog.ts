import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { CatalogCategory, CatalogService } from '@packetpilot/protocol';
import { api } from '@/api';

/** Services and categories: loaded once per session, they change only with a gateway update. */
export const useCatalogStore = defineStore('catalog', () => {
  const services = ref<CatalogService[]>([]);
  const categories = ref<CatalogCategory[]>([]);
  let loading: Promise<void> | null = null;

  const serviceById = computed(() => new Map(services.value.map((s) => [s.id, s])));
  const categoryById = computed(() => new Map(categories.value.map((c) => [c.id, c])));

  function load(): Promise<void> {
    loading ??= Promise.all([api.services(), api.categories()])
      .then(([s, c]) => {
        services.value = [...s].sort((a, b) => a.name.localeCompare(b.name));
        categories.value = [...c].sort((a, b) => a.name.localeCompare(b.name));
      })
      .catch((err: unknown) => {
        loading = null;
        throw err;
      });
    return loading;
  }

  const serviceName = (id: string) => serviceById.value.get(id)?.name ?? id;
  const categoryName = (id: string) => categoryById.value.get(id)?.name ?? id;

  return { services, categories, serviceById, categoryById, load, serviceName, categoryName };
});
