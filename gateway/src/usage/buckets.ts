/**
 * Bucket boundaries in the appliance's time zone. Hour and day buckets follow local wall-clock
 * time (half-hour zones included), so "today" starts at local midnight even across DST; a
 * 23- or 25-hour day is still one day bucket, and the repeated hour in autumn is two hour buckets.
 */
export type Bucket = 'minute' | 'hour' | 'day';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export function defaultTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  /** Offset from UTC in ms at that instant. */
  offset: number;
}

export class TimeBuckets {
  readonly #format: Intl.DateTimeFormat;

  constructor(readonly timeZone: string = defaultTimeZone()) {
    try {
      this.#format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new Error(
        `unknown time zone ${JSON.stringify(timeZone)} (expected an IANA name like Europe/Berlin)`,
      );
    }
  }

  start(bucket: Bucket, at: Date | number): Date {
    const t = typeof at === 'number' ? at : at.getTime();
    if (bucket === 'minute') return new Date(Math.floor(t / MINUTE) * MINUTE);
    if (bucket === 'hour') return new Date(this.#hourStart(t));
    return new Date(this.#dayStart(t));
  }

  /** The start of the bucket after the one starting at `start` (a bucket start itself). */
  next(bucket: Bucket, start: Date): Date {
    const t = start.getTime();
    if (bucket === 'minute') return new Date(t + MINUTE);
    if (bucket === 'hour') return new Date(this.#hourStart(t + HOUR + MINUTE));
    // Local days last 23 to 25 hours, so 26 hours on is always inside the next day.
    return new Date(this.#dayStart(t + 26 * HOUR));
  }

  #local(t: number): LocalTime {
    const p: Record<string, number> = {};
    for (const part of this.#format.formatToParts(t)) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = p;
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    return { year, month, day, offset: wall - Math.floor(t / 1000) * 1000 };
  }

  #hourStart(t: number): number {
    const { offset } = this.#local(t);
    return Math.floor((t + offset) / HOUR) * HOUR - offset;
  }

  /**
   * Local midnight of t's local date. The offset at midnight can differ from the offset at t
   * (a DST switch earlier that day), so try the offsets seen at t and at each candidate and keep
   * the earliest candidate that still falls on the same local date. Where midnight does not exist
   * (a DST switch at 00:00) that is the switch instant, the real start of the day.
   */
  #dayStart(t: number): number {
    const here = this.#local(t);
    const midnightUtc = Date.UTC(here.year, here.month - 1, here.day);
    let best = t;
    let offset = here.offset;
    for (let i = 0; i < 3; i++) {
      const candidate = midnightUtc - offset;
      const local = this.#local(candidate);
      if (local.year === here.year && local.month === here.month && local.day === here.day) {
        best = Math.min(best, candidate);
      }
      if (local.offset === offset) break;
      offset = local.offset;
    }
    return best;
  }
}
