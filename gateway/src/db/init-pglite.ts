/**
 * `node gateway/dist/db/init-pglite.js DIR`: creates an empty embedded cluster (initdb) in DIR and
 * exits. The daemon runs it as a child on a first start: initdb drives PGlite's WebAssembly
 * memory to ~600 MB, and that memory is never given back, so it must not happen in the
 * long-lived process.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_CONF } from './pglite-conf.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: init-pglite DIR');
  process.exit(2);
}
try {
  const client = await PGlite.create({ dataDir: dir, postgresqlconf: PGLITE_CONF });
  await client.close();
} catch (err) {
  console.error(`initdb in ${dir}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
