import { onMounted, onUnmounted, ref } from 'vue';

/**
 * Runs `task` now and every `ms` while the component is mounted and the tab is visible; one run
 * at a time (a slow gateway does not pile requests up). `paused` stops it without unmounting.
 */
export function usePolling(task: () => Promise<void>, ms: number) {
  const paused = ref(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let alive = false;

  let again = false;

  async function tick(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (!alive) return;
    if (running) {
      again = true;
      return;
    }
    if (!paused.value && document.visibilityState !== 'hidden') {
      running = true;
      try {
        await task();
      } catch {
        /* the task reports its own errors; keep polling */
      } finally {
        running = false;
      }
      if (again) {
        again = false;
        return tick();
      }
    }
    if (alive) timer = setTimeout(() => void tick(), ms);
  }

  const onVisible = () => {
    if (document.visibilityState === 'visible') void tick();
  };

  onMounted(() => {
    alive = true;
    document.addEventListener('visibilitychange', onVisible);
    void tick();
  });
  onUnmounted(() => {
    alive = false;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  });

  /** Run now (after a filter change), then keep the rhythm. */
  function refresh(): void {
    void tick();
  }

  return { paused, refresh };
}
