/** Sorting and searching for DataTable, kept pure so it is tested without a DOM. */

export type SortValue = string | number | boolean | null | undefined;
export type SortDir = 'asc' | 'desc';

export interface Column<T> {
  key: string;
  label: string;
  /** Value to sort by; a column without it is not sortable. */
  sort?: (row: T) => SortValue;
  /** Text the search box matches; columns without it are not searched. */
  search?: (row: T) => string | null | undefined;
  /** Numbers are right-aligned and tabular. */
  numeric?: boolean;
  /** Hidden on phone widths. */
  hideSm?: boolean;
}

/** Empty values sort last whatever the direction; strings compare naturally ("pc2" < "pc10"). */
export function compareValues(a: SortValue, b: SortValue): number {
  const ea = a === null || a === undefined || a === '';
  const eb = b === null || b === undefined || b === '';
  if (ea || eb) return ea === eb ? 0 : ea ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

export function sortRows<T>(rows: readonly T[], column: Column<T> | undefined, dir: SortDir): T[] {
  const out = [...rows];
  const get = column?.sort;
  if (!get) return out;
  const sign = dir === 'asc' ? 1 : -1;
  // stable sort; empties stay at the end in both directions
  return out.sort((x, y) => {
    const a = get(x);
    const b = get(y);
    const empty = (v: SortValue) => v === null || v === undefined || v === '';
    if (empty(a) || empty(b)) return compareValues(a, b);
    return sign * compareValues(a, b);
  });
}

/** Every word of the query must appear in one of the searchable columns (case-insensitive). */
export function filterRows<T>(rows: readonly T[], columns: readonly Column<T>[], query: string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...rows];
  const searchable = columns.filter((c) => c.search);
  return rows.filter((row) => {
    const text = searchable
      .map((c) => c.search!(row) ?? '')
      .join(' ')
      .toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
