/** The device page's range picker: last hour/day/week/month and the buckets that make sense for each. */
import type { Bucket } from '@packetpilot/protocol';

export type RangeKey = 'hour' | 'day' | 'week' | 'month';

const H = 3_600_000;

export const RANGES: Record<RangeKey, { label: string; ms: number; buckets: Bucket[]; bucket: Bucket }> = {
  hour: { label: 'Last hour', ms: H, buckets: ['minute'], bucket: 'minute' },
  day: { label: 'Last 24 hours', ms: 24 * H, buckets: ['minute', 'hour'], bucket: 'hour' },
  week: { label: 'Last 7 days', ms: 7 * 24 * H, buckets: ['hour', 'day'], bucket: 'hour' },
  month: { label: 'Last 30 days', ms: 30 * 24 * H, buckets: ['hour', 'day'], bucket: 'day' },
};

export const RANGE_KEYS = Object.keys(RANGES) as RangeKey[];

export function rangeFor(key: RangeKey, now: Date = new Date()): { from: string; to: string } {
  return { from: new Date(now.getTime() - RANGES[key].ms).toISOString(), to: now.toISOString() };
}

/** The bucket to use after the range changed: keep the current one when it still fits. */
export function bucketFor(key: RangeKey, current: Bucket): Bucket {
  return RANGES[key].buckets.includes(current) ? current : RANGES[key].bucket;
}
