import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { User, UserCreate, UserPatch } from '@packetpilot/protocol';
import { api } from '@/api';

export const useUsersStore = defineStore('users', () => {
  const list = ref<User[]>([]);
  const loaded = ref(false);

  async function load(): Promise<void> {
    list.value = await api.users();
    loaded.value = true;
  }

  async function create(body: UserCreate): Promise<User> {
    const user = await api.createUser(body);
    list.value = [...list.value, user].sort((a, b) => a.username.localeCompare(b.username));
    return user;
  }

  async function update(id: number, patch: UserPatch): Promise<User> {
    const user = await api.updateUser(id, patch);
    list.value = list.value.map((u) => (u.id === id ? user : u));
    return user;
  }

  async function remove(id: number): Promise<void> {
    await api.deleteUser(id);
    list.value = list.value.filter((u) => u.id !== id);
  }

  return { list, loaded, load, create, update, remove };
});
