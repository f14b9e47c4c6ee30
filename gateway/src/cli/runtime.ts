import { setFlagsFromString } from 'node:v8';

/**
 * V8's optimising WebAssembly tier roughly doubles the code memory of the embedded PostgreSQL
 * (PGlite), about 45 MB, for speed the gateway does not need: its database work is a small batch
 * every few seconds. The baseline compiler alone keeps the daemon within its memory budget.
 * Must run before the first PGlite instance is created.
 */
export function tuneRuntimeForAppliance(): void {
  setFlagsFromString('--liftoff-only');
}
