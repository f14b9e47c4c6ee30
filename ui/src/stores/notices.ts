import { defineStore } from 'pinia';
import { ref } from 'vue';
import { errorMessage } from '@/api';

export interface Notice {
  id: number;
  tone: 'ok' | 'error' | 'info';
  text: string;
}

/** Short messages after an action ("Rule created", "Not allowed: …"), read out by screen readers. */
export const useNoticesStore = defineStore('notices', () => {
  const items = ref<Notice[]>([]);
  let next = 1;

  function push(tone: Notice['tone'], text: string, ms = tone === 'error' ? 8000 : 4000): void {
    const id = next++;
    items.value = [...items.value.slice(-3), { id, tone, text }];
    setTimeout(() => dismiss(id), ms);
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((n) => n.id !== id);
  }

  return {
    items,
    dismiss,
    ok: (text: string) => push('ok', text),
    info: (text: string) => push('info', text),
    error: (err: unknown) => push('error', errorMessage(err)),
  };
});
