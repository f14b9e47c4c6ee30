import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { LiveRates } from '@packetpilot/protocol';
import {
  WINDOW_MS,
  appendFrame,
  deviceRates,
  latestPoint,
  type DeviceRate,
  type RatePoint,
} from '@/live/rates';

export type LiveStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The chart's history survives a reload of the page (not the tab): kept in sessionStorage. */
const KEEP_KEY = 'pp.live';

function restore(): RatePoint[] {
  try {
    const raw = globalThis.sessionStorage?.getItem(KEEP_KEY);
    const saved = raw ? (JSON.parse(raw) as RatePoint[]) : [];
    const since = Date.now() - WINDOW_MS;
    return Array.isArray(saved)
      ? saved.filter(
          (p) => typeof p?.t === 'number' && p.t > since && (p.rx === null || typeof p.rx === 'number'),
        )
      : [];
  } catch {
    return [];
  }
}

function keep(points: readonly RatePoint[]): void {
  try {
    globalThis.sessionStorage?.setItem(KEEP_KEY, JSON.stringify(points));
  } catch {
    /* storage full or disabled: the history just starts over after a reload */
  }
}

/**
 * Live rates as the UI shows them. Only src/live/ writes here (ingest/setStatus); components
 * read `points`, `latest` and `rateOf`.
 */
export const useLiveStore = defineStore('live', () => {
  const points = shallowRef<RatePoint[]>(restore());
  const byDevice = shallowRef<Map<number, DeviceRate>>(new Map());
  const status = ref<LiveStatus>('idle');
  const invalidFrames = ref(0);

  const latest = computed(() => latestPoint(points.value));

  function ingest(frame: LiveRates): void {
    points.value = appendFrame(points.value, frame);
    byDevice.value = deviceRates(frame);
    keep(points.value);
  }

  function setStatus(s: LiveStatus): void {
    status.value = s;
  }

  function countInvalid(): void {
    invalidFrames.value++;
  }

  function reset(): void {
    points.value = [];
    globalThis.sessionStorage?.removeItem(KEEP_KEY);
    byDevice.value = new Map();
    status.value = 'idle';
  }

  /** Download + upload of a device in bytes/s, or null when the feed has not mentioned it. */
  function rateOf(deviceId: number): DeviceRate | null {
    return byDevice.value.get(deviceId) ?? null;
  }

  return { points, byDevice, status, invalidFrames, latest, ingest, setStatus, countInvalid, reset, rateOf };
});
