/**
 * Bucket boundaries in the appliance's time zone. Hour and day buckets follow local wall-clock
 * time (half-hour zones included), so "today" starts at local midnight even across DST; a
 * 23- or 25-hour day is still one day bucket, and the repeated hour in autumn is two hour buckets.
 */
export type Bucket = 'minute' | 'hour' | 'day';

const MINUTE = 60_000;
const HOUR = 3_600_000;

interface LocalTime {
  year: number;
  month: number;
  day: number;
  /** Offset from UTC in ms at that instant. */
  offset: number;
}

/** Wall-clock date and UTC offset at an instant, in one time zone. */
type LocalClock = (t: number) => LocalTime;

/**
 * The process's own zone (TZ, else /etc/localtime), through Date's local-time methods. Creating
 * any Intl.DateTimeFormat makes V8 check every locale ICU ships for date data, which pulls ~9 MB
 * of ICU tables from the node binary into the daemon's memory for good; Date needs ~0.5 MB (the
 * zone's rules). Both read the same ICU zone, so they agree (buckets.test.ts checks).
 */
const processClock: LocalClock = (t) => {
  const d = new Date(t);
  return {
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    offset: -d.getTimezoneOffset() * 60_000,
  };
};

/** A named IANA zone, through Intl (tests, and a zone other than the box's). */
function zoneClock(timeZone: string): LocalClock {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
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
  return (t) => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(t)) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = p;
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    return { year, month, day, offset: wall - Math.floor(t / 1000) * 1000 };
  };
}

export class TimeBuckets {
  readonly #local: LocalClock;

  /** `timeZone`: an IANA name; without one, the box's own zone. */
  constructor(readonly timeZone?: string) {
    this.#local = timeZone === undefined ? processClock : zoneClock(timeZone);
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
