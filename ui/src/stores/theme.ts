import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'pp.theme';

function systemDark(): boolean {
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
}

/** Light/dark: the system's choice unless the user picked one (kept in localStorage). */
export const useThemeStore = defineStore('theme', () => {
  const stored = globalThis.localStorage?.getItem(KEY);
  const choice = ref<ThemeChoice>(stored === 'light' || stored === 'dark' ? stored : 'system');
  const systemIsDark = ref(systemDark());
  globalThis
    .matchMedia?.('(prefers-color-scheme: dark)')
    .addEventListener('change', (e) => (systemIsDark.value = e.matches));

  const dark = computed(() => (choice.value === 'system' ? systemIsDark.value : choice.value === 'dark'));

  function apply(): void {
    const root = document.documentElement;
    if (choice.value === 'system') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', choice.value);
  }

  function set(next: ThemeChoice): void {
    choice.value = next;
    if (next === 'system') globalThis.localStorage?.removeItem(KEY);
    else globalThis.localStorage?.setItem(KEY, next);
    apply();
  }

  function cycle(): void {
    set(choice.value === 'system' ? 'light' : choice.value === 'light' ? 'dark' : 'system');
  }

  apply();
  return { choice, dark, set, cycle };
});
