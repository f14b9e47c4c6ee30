import { expect, test } from 'vitest';
import { csvCell, csvFilename, toCsv } from './csv';

test('cells are quoted only when needed', () => {
  expect(csvCell('plain')).toBe('plain');
  expect(csvCell('a,b')).toBe('"a,b"');
  expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  expect(csvCell('two\nlines')).toBe('"two\nlines"');
  expect(csvCell(42)).toBe('42');
  expect(csvCell(-1)).toBe('-1');
  expect(csvCell(true)).toBe('true');
  expect(csvCell(null)).toBe('');
  expect(csvCell(undefined)).toBe('');
});

test('formula-looking text is defused', () => {
  expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
  expect(csvCell('+1')).toBe("'+1");
  expect(csvCell('@cmd')).toBe("'@cmd");
});

test('a table with header and CRLF lines', () => {
  const rows = [
    { name: 'laptop', bytes: 1200 },
    { name: 'tv, living room', bytes: 0 },
  ];
  const csv = toCsv(rows, [
    { header: 'Device', value: (r) => r.name },
    { header: 'Bytes', value: (r) => r.bytes },
  ]);
  expect(csv).toBe('Device,Bytes\r\nlaptop,1200\r\n"tv, living room",0\r\n');
});

test('file names', () => {
  expect(csvFilename('Usage', 'Kid’s Laptop')).toMatch(/^usage-kid-s-laptop-\d{4}-\d{2}-\d{2}\.csv$/);
  expect(csvFilename('')).toMatch(/^export-/);
});
