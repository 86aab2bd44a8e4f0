import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseStrictJson, ProtocolError } from '@parley/protocol';

/** Reads a file as text, with an error that names the file (never a stack trace). */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new CliError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code}`);
  }
}

export function readJson(path: string): unknown {
  return parseStrictJson(readText(path), { field: 'message' });
}

/** Writes a file, creating its folder; `secret` files are readable by their owner only. */
export function writeText(path: string, text: string, secret = false): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode: secret ? 0o600 : 0o644 });
}

export function writeJson(path: string, value: unknown): void {
  writeText(path, JSON.stringify(value, null, 2) + '\n');
}

/** An error the user caused (bad file, bad argument): printed as one line, exit status 1. */
export class CliError extends Error {}

/** One line for a person: the error class for protocol errors (which layer refused), then the message. */
export function describeError(error: unknown): string {
  if (error instanceof ProtocolError) return `${error.name}: ${error.message}`;
  if (error instanceof CliError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}
