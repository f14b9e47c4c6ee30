import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Device } from '@packetpilot/protocol';
import { api } from '@/api';

/** What a device is called: the admin's name, else its hostname, else its MAC. */
export function deviceLabel(d: Pick<Device, 'name' | 'hostname' | 'mac'> | undefined | null): string {
  if (!d) return 'Unknown device';
  return d.name ?? d.hostname ?? d.mac;
}

export const useDevicesStore = defineStore('devices', () => {
  const list = ref<Device[]>([]);
  const loaded = ref(false);
  const loading = ref(false);

  const byId = computed(() => new Map(list.value.map((d) => [d.id, d])));
  const online = computed(() => list.value.filter((d) => d.online));

  async function load(): Promise<void> {
    loading.value = true;
    try {
      list.value = await api.devices();
      loaded.value = true;
    } finally {
      loading.value = false;
    }
  }

  /** Loads once; later calls return at once (pages refresh explicitly). */
  async function ensure(): Promise<void> {
    if (!loaded.value) await load();
  }

  function put(device: Device): void {
    const i = list.value.findIndex((d) => d.id === device.id);
    if (i < 0) list.value = [...list.value, device];
    else list.value = list.value.map((d) => (d.id === device.id ? device : d));
  }

  async function fetchOne(id: number): Promise<Device> {
    const device = await api.device(id);
    put(device);
    return device;
  }

  async function rename(id: number, name: string | null): Promise<Device> {
    const device = await api.updateDevice(id, { name });
    put(device);
    return device;
  }

  /** A display name for a device id, including 0 (a client no device is known for). */
  function labelOf(id: number): string {
    if (id === 0) return 'Unknown client';
    const d = byId.value.get(id);
    return d ? deviceLabel(d) : `Device ${id}`;
  }

  return { list, loaded, loading, byId, online, load, ensure, fetchOne, rename, labelOf };
});
