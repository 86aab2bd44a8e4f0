import { CheckpointError } from '../errors.js';
import { HASH_SIZE } from '../rfc6962.js';
import { decodeBase64Std, encodeBase64Std } from './base64.js';
import {
  checkNoteText,
  openNote,
  signNote,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
} from './signed-note.js';

/*
 * C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): a signed note whose text is
 *   <origin>\n<tree size in decimal>\n<base64 root hash>\n[<extension line>\n]...
 */

export interface Checkpoint {
  /** The log's identity, the first line. */
  readonly origin: string;
  /** The number of leaves. A JavaScript number: trees beyond 2^53 - 1 leaves are refused. */
  readonly size: number;
  /** The RFC 6962 root hash at `size`, 32 bytes. */
  readonly root: Uint8Array;
  /** Opaque non-empty lines after the root, in order (for example Rekor's `Timestamp: <ns>`). */
  readonly extensions: readonly string[];
}

export interface CheckpointInput {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly extensions?: readonly string[];
}

const SIZE_PATTERN = /^(?:0|[1-9][0-9]*)$/;

function checkLine(line: string, field: string): void {
  if (typeof line !== 'string' || line.length === 0)
    throw new CheckpointError(field, 'must be non-empty', 'format');
  if (line.includes('\n')) throw new CheckpointError(field, 'must not contain a newline', 'format');
}

/** The checkpoint body (the note text), final newline included. */
export function formatCheckpoint(checkpoint: CheckpointInput): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  checkLine(origin, 'checkpoint.origin');
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new CheckpointError('checkpoint.size', 'must be a whole number from 0 to 2^53 - 1', 'size');
  }
  if (!(root instanceof Uint8Array) || root.length !== HASH_SIZE) {
    throw new CheckpointError('checkpoint.root', `must be ${HASH_SIZE} bytes`, 'hash');
  }
  extensions.forEach((line, i) => checkLine(line, `checkpoint.extensions[${i}]`));
  const text = [origin, String(size), encodeBase64Std(root), ...extensions].map((l) => `${l}\n`).join('');
  try {
    checkNoteText(text, 'checkpoint');
  } catch (error) {
    throw new CheckpointError('checkpoint', `cannot be a note text: ${(error as Error).message}`, 'format');
  }
  return text;
}

/**
 * Parses a checkpoint body strictly: non-empty origin, canonical decimal size (no leading zeros, at most
 * 2^53 - 1), root exactly 32 bytes of canonical padded base64, non-empty extension lines, final newline.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') throw new CheckpointError('checkpoint', 'must be a string', 'format');
  try {
    checkNoteText(text, 'checkpoint');
  } catch (error) {
    throw new CheckpointError('checkpoint', (error as Error).message.replace(/^checkpoint: /, ''), 'format');
  }
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined) {
    throw new CheckpointError('checkpoint', 'must have an origin, a size and a root line', 'format');
  }
  if (origin.length === 0) throw new CheckpointError('checkpoint.origin', 'must be non-empty', 'format');
  if (!SIZE_PATTERN.test(sizeText)) {
    throw new CheckpointError('checkpoint.size', 'must be a decimal number without leading zeros', 'format');
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size))
    throw new CheckpointError('checkpoint.size', 'is larger than 2^53 - 1', 'size');
  const root = decodeBase64Std(rootText);
  if (root === undefined)
    throw new CheckpointError('checkpoint.root', 'is not canonical padded base64', 'format');
  if (root.length !== HASH_SIZE)
    throw new CheckpointError('checkpoint.root', `must be ${HASH_SIZE} bytes`, 'hash');
  extensions.forEach((line, i) => {
    if (line.length === 0)
      throw new CheckpointError(`checkpoint.extensions[${i}]`, 'must be non-empty', 'format');
  });
  return { origin, size, root, extensions };
}

/** Formats `checkpoint` and signs it: the signed note. */
export function signCheckpoint(
  checkpoint: CheckpointInput,
  signer: NoteSigner | readonly NoteSigner[],
): string {
  const signers = Array.isArray(signer) ? (signer as readonly NoteSigner[]) : [signer as NoteSigner];
  return signNote(formatCheckpoint(checkpoint), signers);
}

/**
 * Verifies a signed checkpoint with the log's key(s) (NoteError if no signature of theirs verifies, or one
 * fails) and parses its body (CheckpointError). Other signatures (witnesses) are kept unverified in `note`.
 * The key name need not equal the origin: Rekor signs origin `rekor.sigstore.dev - <tree id>` as
 * `rekor.sigstore.dev`.
 */
export function openCheckpoint(
  noteText: string | Uint8Array,
  logVerifier: NoteVerifier | readonly NoteVerifier[],
): { checkpoint: Checkpoint; note: OpenedNote } {
  const verifiers = Array.isArray(logVerifier)
    ? (logVerifier as readonly NoteVerifier[])
    : [logVerifier as NoteVerifier];
  const note = openNote(noteText, verifiers);
  return { checkpoint: parseCheckpoint(note.text), note };
}
