/**
 * PGlite runs inside the daemon's own process, so Postgres' memory is the daemon's memory.
 * The defaults (128 MB of shared buffers) are sized for a server; the gateway's working set is a
 * few small tables, and a Raspberry Pi has RAM to spare for nothing.
 */
export const PGLITE_CONF = [
  // PGlite is one backend; Postgres sizes its shared lock and process tables for 100 (4 MB here).
  'max_connections=2',
  'superuser_reserved_connections=0',
  'shared_buffers=2MB',
  'wal_buffers=256kB',
  'temp_buffers=1MB',
  'work_mem=1MB',
  'maintenance_work_mem=4MB',
];
