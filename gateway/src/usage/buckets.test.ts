import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeBuckets } from './buckets.js';

const HOUR = 3_600_000;

/**
 * The daemon's buckets use Date's local time in the process's own zone (no Intl); tests and an
 * explicit zone use Intl. Both must cut hours and days at the same instants, DST included.
 * Node re-reads TZ when it is assigned, so one process can try several zones.
 */
for (const zone of ['Europe/Berlin', 'Australia/Lord_Howe', 'America/Sao_Paulo', 'Asia/Kolkata']) {
  test(`the box's own zone gives the same buckets as Intl for ${zone}`, () => {
    const saved = process.env.TZ;
    process.env.TZ = zone;
    try {
      const own = new TimeBuckets();
      const named = new TimeBuckets(zone);
      // 2018 (Sao Paulo still had DST, switching at midnight) through 2019, hour by hour
      const from = Date.UTC(2018, 0, 1);
      let differences = 0;
      for (let t = from; t < from + 2 * 365 * 24 * HOUR; t += HOUR + 7 * 60_000) {
        for (const bucket of ['hour', 'day'] as const) {
          const a = own.start(bucket, t).getTime();
          const b = named.start(bucket, t).getTime();
          const an = own.next(bucket, own.start(bucket, t)).getTime();
          const bn = named.next(bucket, named.start(bucket, t)).getTime();
          if (a !== b || an !== bn) differences += 1;
        }
      }
      assert.equal(differences, 0);
      // and the zone is really in effect: a Berlin day is not a UTC day
      const noonUtc = Date.UTC(2019, 6, 1, 12);
      const utcMidnight = Date.UTC(2019, 6, 1);
      const offsetMs = -new Date(noonUtc).getTimezoneOffset() * 60_000;
      assert.equal(own.start('day', noonUtc).getTime(), utcMidnight - offsetMs);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
}

test('an unknown zone is a clear error', () => {
  assert.throws(() => new TimeBuckets('Mars/Olympus'), /unknown time zone "Mars\/Olympus"/);
});
