import { StringDecoder } from 'node:string_decoder';
import { parse, type Parser } from 'csv-parse';

/** A record the CSV syntax does not allow (an unclosed quote, text after a closing quote); ends the file. */
export class CsvSyntaxError extends Error {
  /** The record's row as a spreadsheet numbers it (the header is row 1). */
  readonly row: number;
  constructor(row: number, message: string) {
    super(message);
    this.row = row;
  }
}

/** The longest record accepted, in characters (a stray quote would otherwise swallow the rest of the file). */
export const MAX_RECORD_CHARS = 1 << 20;

const LONE_CR = /\r(?!\n)/;
/** Records per yield on the fast path. */
const GROUP = 1000;

const SYNTAX_MESSAGES: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE:
    'a quoted field must end with a quote followed by a comma or the end of the row (write a quote inside a quoted field as "")',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    'a quoted field must end with a quote followed by a comma or the end of the row (write a quote inside a quoted field as "")',
  CSV_INVALID_OPENING_QUOTE:
    'a quote inside a field that does not start with one: put the whole field in quotes and write the quote as ""',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed before the end of the file',
  CSV_MAX_RECORD_SIZE: 'a record longer than 1 MiB (a quote that is never closed?)',
};

/**
 * Reads RFC 4180 CSV (comma-separated, fields optionally in double quotes, `""` for a quote inside one, records
 * ending in CRLF, LF or CR, an optional UTF-8 byte order mark) from a stream of chunks, and yields the records in
 * order, a group at a time. Every record is a spreadsheet row: a quoted field may hold commas and line
 * breaks. A blank line is a record with one empty field.
 *
 * Parsing is csv-parse's, with a fast path for the common machine-written file: while the input has no quote
 * character and no lone CR, a record is a line and a field is what lies between commas, which is exactly what
 * RFC 4180 says of such text; from the first chunk with a quote (or lone CR) on, csv-parse reads the rest.
 * Throws CsvSyntaxError at a record the syntax does not allow.
 */
export async function* readCsvRecords(
  input: AsyncIterable<Buffer | Uint8Array | string>,
): AsyncGenerator<string[][]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let first = true;
  let count = 0; // records yielded so far
  let parser: Parser | undefined;
  let pending: string[][] = [];
  let failure: Error | undefined;
  let finished: Promise<void> | undefined;

  const startParser = () => {
    const p = parse({
      relax_column_count: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      max_record_size: MAX_RECORD_CHARS,
      // Records arrive synchronously, in order, during write(); none go through the stream's buffer.
      on_record: (record: string[]) => {
        pending.push(record);
        return null;
      },
    });
    finished = new Promise<void>((resolve) => {
      p.on('error', (error: Error) => {
        failure ??= error;
        resolve();
      });
      p.on('finish', () => resolve());
    });
    p.resume();
    return p;
  };
  const syntaxError = (error: Error) =>
    new CsvSyntaxError(
      count + pending.length + 1,
      SYNTAX_MESSAGES[(error as { code?: string }).code ?? ''] ?? error.message,
    );
  const take = () => {
    const out = pending;
    pending = [];
    count += out.length;
    return out;
  };

  /** The complete lines of carry + text (quote-free), or undefined when the text needs csv-parse. */
  const fast = (text: string): string[] | undefined => {
    const s = carry + text;
    const end = s.lastIndexOf('\n');
    if (end < 0) {
      if (s.length > MAX_RECORD_CHARS) throw new CsvSyntaxError(count + 1, 'a record longer than 1 MiB');
      carry = s;
      return [];
    }
    const body = s.slice(0, end);
    if (body.indexOf('\r') >= 0 && LONE_CR.test(body)) return undefined;
    carry = s.slice(end + 1);
    return body.split('\n');
  };
  /** Lines as records, a group at a time (few records alive at once: less for the garbage collector to copy). */
  function* records(lines: string[]): Generator<string[][]> {
    for (let start = 0; start < lines.length; start += GROUP) {
      const end = Math.min(start + GROUP, lines.length);
      const group = new Array<string[]>(end - start);
      for (let i = start; i < end; i++) {
        const line = lines[i] as string;
        group[i - start] = (line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line).split(',');
      }
      count += group.length;
      yield group;
    }
  }

  for await (const chunk of input) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (!parser) {
      const lines = text.indexOf('"') < 0 ? fast(text) : undefined;
      if (lines) {
        yield* records(lines);
        continue;
      }
      parser = startParser();
      text = carry + text;
      carry = '';
    }
    parser.write(text);
    if (failure) throw syntaxError(failure);
    if (pending.length > 0) yield take();
  }
  const rest = decoder.end();
  if (!parser) {
    const tail = carry + rest;
    if (tail === '') return;
    if (tail.indexOf('"') < 0 && !LONE_CR.test(tail)) {
      yield* records([tail]);
      return;
    }
    parser = startParser();
    parser.end(tail);
  } else {
    parser.end(rest);
  }
  await finished;
  if (failure) throw syntaxError(failure);
  if (pending.length > 0) yield take();
}
