import { JsonError } from '../errors.js';

export interface StrictParseOptions {
  /** Largest accepted input in UTF-16 code units (default 4 MiB). */
  maxLength?: number;
  /** Deepest accepted nesting of arrays and objects (default 64). */
  maxDepth?: number;
  /** Field name used in error messages (default `message`). */
  field?: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/**
 * RFC 8259 JSON parsing for messages from other parties. Unlike JSON.parse it rejects duplicate member names
 * (two parsers could otherwise disagree on which value was signed), lone surrogates (not I-JSON, RFC 7493),
 * oversized input and deep nesting, each with a JsonError naming the path where it happened.
 */
export function parseStrictJson(text: string, options: StrictParseOptions = {}): unknown {
  const maxLength = options.maxLength ?? 4 * 1024 * 1024;
  const maxDepth = options.maxDepth ?? 64;
  const root = options.field ?? 'message';
  if (typeof text !== 'string') throw new JsonError(root, 'expected JSON text', 'type');
  if (text.length > maxLength) {
    throw new JsonError(
      root,
      `is ${text.length} characters, more than the limit of ${maxLength}`,
      'too-large',
    );
  }
  let pos = 0;

  const fail = (path: string, detail: string, code = 'syntax'): never => {
    throw new JsonError(path, `${detail} at offset ${pos}`, code);
  };
  const skipWhitespace = () => {
    WHITESPACE.lastIndex = pos;
    WHITESPACE.test(text);
    pos = WHITESPACE.lastIndex;
  };
  const parseString = (path: string): string => {
    const start = pos;
    pos++;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (Number.isNaN(c)) fail(path, 'unterminated string');
      if (c === 0x22) break;
      if (c < 0x20) fail(path, 'control character in string');
      pos += c === 0x5c ? 2 : 1;
    }
    pos++;
    let value: string;
    try {
      value = JSON.parse(text.slice(start, pos)) as string;
    } catch {
      return fail(path, 'invalid escape in string');
    }
    if (!value.isWellFormed()) fail(path, 'string holds a lone surrogate (not I-JSON)', 'surrogate');
    return value;
  };
  const parseValue = (path: string, depth: number): unknown => {
    skipWhitespace();
    const c = text[pos];
    if (c === '{') {
      if (depth >= maxDepth) fail(path, `nesting deeper than ${maxDepth}`, 'too-deep');
      pos++;
      const object: Record<string, unknown> = {};
      skipWhitespace();
      if (text[pos] === '}') {
        pos++;
        return object;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') fail(path, 'expected a member name');
        const key = parseString(path);
        const memberPath = `${path}.${key}`;
        if (Object.prototype.hasOwnProperty.call(object, key)) {
          fail(memberPath, 'duplicate member name', 'duplicate');
        }
        skipWhitespace();
        if (text[pos] !== ':') fail(memberPath, 'expected ":"');
        pos++;
        const value = parseValue(memberPath, depth + 1);
        Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return object;
        }
        fail(path, 'expected "," or "}"');
      }
    }
    if (c === '[') {
      if (depth >= maxDepth) fail(path, `nesting deeper than ${maxDepth}`, 'too-deep');
      pos++;
      const array: unknown[] = [];
      skipWhitespace();
      if (text[pos] === ']') {
        pos++;
        return array;
      }
      for (;;) {
        array.push(parseValue(`${path}[${array.length}]`, depth + 1));
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return array;
        }
        fail(path, 'expected "," or "]"');
      }
    }
    if (c === '"') return parseString(path);
    if (text.startsWith('true', pos)) return ((pos += 4), true);
    if (text.startsWith('false', pos)) return ((pos += 5), false);
    if (text.startsWith('null', pos)) return ((pos += 4), null);
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (match) {
      pos = NUMBER.lastIndex;
      const n = Number(match[0]);
      if (!Number.isFinite(n)) fail(path, 'number out of range', 'number');
      return n;
    }
    return fail(path, c === undefined ? 'unexpected end of input' : `unexpected ${JSON.stringify(c)}`);
  };

  const value = parseValue(root, 0);
  skipWhitespace();
  if (pos !== text.length) fail(root, 'unexpected text after the JSON value');
  return value;
}
