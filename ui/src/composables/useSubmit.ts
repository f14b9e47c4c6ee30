import { ref } from 'vue';
import { errorMessage } from '@/api/http';

/**
 * A form's submit: `busy` while it runs (a second submit meanwhile is ignored), `error` with the
 * reason when it throws (a refused API call, or a check of the form's own that throws an Error).
 */
export function useSubmit<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  const error = ref('');
  const busy = ref(false);

  async function submit(...args: A): Promise<void> {
    if (busy.value) return;
    error.value = '';
    busy.value = true;
    try {
      await action(...args);
    } catch (err) {
      error.value = errorMessage(err);
    } finally {
      busy.value = false;
    }
  }

  return { error, busy, submit };
}
