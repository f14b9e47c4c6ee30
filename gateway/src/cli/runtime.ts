import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a small box, set here rather than on the command line so that every way the
 * daemon starts (systemd unit, npm start, tests, bench) gets them; NODE_OPTIONS refuses the heap
 * flags. Must run before the first PGlite instance is created. docs/decisions/0006-memory.md has
 * the measurements.
 */
export function tuneRuntimeForAppliance(): void {
  // V8's optimising WebAssembly tier roughly doubles the code memory of the embedded PostgreSQL
  // (PGlite), about 45 MB, for speed the gateway does not need: its database work is a small
  // batch every few seconds.
  setFlagsFromString('--liftoff-only');
  // V8 lets the old generation grow up to 4× the live data before its next full GC when GC looks
  // cheap, as it does for a mostly idle daemon: a 40 MB heap sat at 145 MB for two minutes.
  // 20 % keeps the limit near the live data; full GCs come every 20–30 s instead.
  setFlagsFromString('--heap-growing-percent=20');
  // Without it a full GC frees objects but keeps the half-empty pages they were on: 60 MB of
  // pages for 40 MB of live objects. Compacting every full GC costs ~40 ms each, on the main
  // thread only (the resolver's thread has its own heap).
  setFlagsFromString('--compact-on-every-full-gc');
}
