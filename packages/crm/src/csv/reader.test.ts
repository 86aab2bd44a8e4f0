import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { CsvSyntaxError, readCsvRecords } from './reader.js';

/** Feeds `text` in pieces cut at the given sizes (as Buffers, so multi-byte characters get split too). */
async function read(text: string, sizes: number[] = [1 << 16]): Promise<string[][]> {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length] as number);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  const out: string[][] = [];
  for await (const group of readCsvRecords(
    (async function* () {
      yield* chunks;
    })(),
  ))
    out.push(...group);
  return out;
}

const reference = (text: string): string[][] =>
  parse(text, { bom: true, relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];

test('quoted commas, quotes, line breaks and CRLF are read as RFC 4180 says', async () => {
  const text =
    'name,street,note\r\n' +
    '"Example, Alice","1 Main St\r\nFlat 2","she said ""hi"""\r\n' +
    'Bob,,\r\n' +
    '"","",""\r\n';
  assert.deepEqual(await read(text), [
    ['name', 'street', 'note'],
    ['Example, Alice', '1 Main St\r\nFlat 2', 'she said "hi"'],
    ['Bob', '', ''],
    ['', '', ''],
  ]);
});

test('the fast path (no quotes) and csv-parse agree, whatever the chunk boundaries', async () => {
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const alphabet = ['a', 'b', 'é', '€', ' ', '1', '-', ',', '"', '\n', '\r\n'];
  for (let round = 0; round < 40; round++) {
    const quoted = round % 2 === 0;
    const rows: string[][] = [];
    for (let r = 0; r < 30; r++) {
      const fields: string[] = [];
      for (let f = 0; f < 4; f++) {
        let value = '';
        const length = random(6);
        for (let c = 0; c < length; c++) value += alphabet[random(quoted ? alphabet.length : 7)];
        fields.push(value);
      }
      rows.push(fields);
    }
    const eol = round % 3 === 0 ? '\r\n' : '\n';
    const text =
      (round % 5 === 0 ? '\uFEFF' : '') +
      rows
        .map((fields) => fields.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(','))
        .join(eol) +
      (round % 4 === 0 ? '' : eol);
    const expected = reference(text);
    const sizes = [1 + random(50), 1 + random(7), 200];
    assert.deepEqual(await read(text, sizes), expected, `round ${round}`);
    assert.deepEqual(
      expected.slice(0, rows.length),
      rows.map((r) => (r.length ? r : [''])),
    );
  }
});

test('a lone CR ends a record; a blank line is a record of one empty field', async () => {
  assert.deepEqual(await read('a,b\r1,2\r\r3,4'), [['a', 'b'], ['1', '2'], [''], ['3', '4']]);
  assert.deepEqual(await read('a,b\n\n1,2\n'), [['a', 'b'], [''], ['1', '2']]);
});

test('a syntax error names its row (as a spreadsheet counts rows)', async () => {
  for (const [text, row] of [
    ['a,b\n1,2\n3,"x"y\n4,5\n', 3],
    ['a,b\n"multi\nline",2\n3,4\n5,"never closed\n', 4],
    ['a,b\n1,x"y"\n', 2],
  ] as const) {
    await assert.rejects(read(text), (error: unknown) => {
      assert.ok(error instanceof CsvSyntaxError, String(error));
      assert.equal(error.row, row, `${JSON.stringify(text)}: ${error.message}`);
      return true;
    });
  }
});
