/**
 * PGlite's file-system image (`pglite.data`, 6.2 MB: Postgres' share/ and lib/ directories) is
 * loaded into one buffer that every file in it is a view of, so the whole image stays resident for
 * the daemon's life. A running cluster never reads most of it: initdb's scripts (postgres.bki,
 * 1 MB), the text-encoding converters (2.3 MB; client and server are both UTF-8), the snowball
 * stemmers, the extension build files (pgxs) and ICU's collation data (our clusters use the C
 * locale provider). This builds the image in a zero-filled buffer and reads only the files a
 * running cluster can need: pages never written are never resident (~1 MB instead of 6.2).
 *
 * The image has no table of contents of its own; Emscripten's loader inside PGlite carries it as
 * `{filename:"…",start:N,end:N}` entries. When that table cannot be found or does not describe
 * this image (another PGlite release), the caller loads the image whole, as PGlite does.
 */
import { open, readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ImageFile {
  path: string;
  start: number;
  end: number;
}

export interface TrimmedImage {
  /** What PGlite's `fsBundle` option calls: the image, with the skipped files left as zeros. */
  arrayBuffer(): Promise<ArrayBuffer>;
  /** Bytes read from the image, and bytes skipped. */
  keptBytes: number;
  skippedBytes: number;
}

const SHARE = '/pglite/share/postgresql/';
const LIB = '/pglite/lib/postgresql/';

/**
 * Files only initdb, the build tools or an unused feature read. A skipped file reads as zeros:
 * loading a skipped library fails with an error instead of running, which is the failure we want
 * if Postgres ever needs one.
 */
export function neededByRunningCluster(path: string): boolean {
  if (path.startsWith('/pglite/icu/')) return false;
  if (path.startsWith(LIB)) return path === `${LIB}plpgsql.so`;
  if (path.startsWith(SHARE)) {
    const rest = path.slice(SHARE.length);
    // timezone/, timezonesets/, tsearch_data/ and extension/ stay: a session may use any zone
    if (rest.includes('/')) return true;
    return !(
      rest.endsWith('.sql') ||
      rest.endsWith('.bki') ||
      rest.endsWith('.sample') ||
      rest.endsWith('.txt')
    );
  }
  return true;
}

const ENTRY = /\{filename:"([^"]+)",start:(\d+),end:(\d+)\}/g;

/** The image's file table from PGlite's loader, or undefined when it is not where expected. */
export function parseImageTable(loaderSource: string, imageSize: number): ImageFile[] | undefined {
  const declared = /remote_package_size:(\d+)/.exec(loaderSource);
  if (!declared || Number(declared[1]) !== imageSize) return undefined;
  const files: ImageFile[] = [];
  for (const m of loaderSource.matchAll(ENTRY)) {
    files.push({ path: m[1]!, start: Number(m[2]), end: Number(m[3]) });
  }
  if (files.length === 0) return undefined;
  files.sort((a, b) => a.start - b.start);
  let at = 0;
  for (const f of files) {
    if (f.start < at || f.end < f.start || f.end > imageSize) return undefined;
    at = f.end;
  }
  return files;
}

/** Kept files as runs of adjacent byte ranges, so the image is read in a few large reads. */
function keptRuns(files: ImageFile[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const f of files) {
    if (!neededByRunningCluster(f.path) || f.end === f.start) continue;
    const last = runs.at(-1);
    if (last && last[1] === f.start) last[1] = f.end;
    else runs.push([f.start, f.end]);
  }
  return runs;
}

/** The installed PGlite's dist/ directory: its loader, `pglite.data` and `pglite.wasm`. */
export function pgliteDistDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
}

/** The trimmed image for PGlite's `fsBundle`, or undefined to let PGlite load the whole image. */
export async function trimmedPgliteImage(): Promise<TrimmedImage | undefined> {
  const dist = pgliteDistDir();
  const imagePath = join(dist, 'pglite.data');
  const file = await open(imagePath, 'r');
  try {
    const size = (await file.stat()).size;
    let table: ImageFile[] | undefined;
    for (const name of (await readdir(dist)).filter((n) => n.endsWith('.js'))) {
      const source = await readFile(join(dist, name), 'utf8');
      if (!source.includes('remote_package_size:')) continue;
      table = parseImageTable(source, size);
      if (table) break;
    }
    if (!table) return undefined;
    // zero-filled: a large allocation comes straight from the kernel, untouched until written
    const image = new ArrayBuffer(size);
    let keptBytes = 0;
    for (const [start, end] of keptRuns(table)) {
      const { bytesRead } = await file.read(new Uint8Array(image, start, end - start), 0, end - start, start);
      if (bytesRead !== end - start) throw new Error(`${imagePath}: short read at ${start}`);
      keptBytes += bytesRead;
    }
    return { arrayBuffer: () => Promise.resolve(image), keptBytes, skippedBytes: size - keptBytes };
  } finally {
    await file.close();
  }
}
