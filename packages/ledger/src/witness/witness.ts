import type { SigningKey } from '@parley/protocol';
import { ProtocolError } from '@parley/protocol';
import { CheckpointError, MerkleProofError, NoteError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE } from '../rfc6962.js';
import { verifyConsistency } from '../proof/verify.js';
import { decodeBase64Std, encodeBase64Std } from '../note/base64.js';
import { parseCheckpoint, type Checkpoint } from '../note/checkpoint.js';
import { CosignatureSigner, type CosignatureVerifier } from '../note/cosignature.js';
import { MAX_NOTE_BYTES, formatKeyId, openNote, parseNote, type NoteVerifier } from '../note/signed-note.js';

/*
 * The logic of a C2SP tlog-witness (c2sp.org/tlog-witness) add-checkpoint endpoint, without HTTP: a server
 * mounts `Witness.addCheckpoint` on POST <prefix>/add-checkpoint and writes back status, content type and body.
 */

/** What a witness remembers of a log: the latest checkpoint it cosigned. */
export interface TreeState {
  readonly size: number;
  readonly root: Uint8Array;
}

/** Per-origin witness state. `compareAndSet` must be atomic: it is what prevents concurrent rollbacks. */
export interface WitnessStateStore {
  get(origin: string): Promise<TreeState | undefined>;
  /** Sets `next` only if the current state equals `old` (undefined: none yet); reports whether it did. */
  compareAndSet(origin: string, old: TreeState | undefined, next: TreeState): Promise<boolean>;
}

const equalBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

const sameState = (a: TreeState | undefined, b: TreeState | undefined): boolean =>
  a === undefined || b === undefined ? a === b : a.size === b.size && equalBytes(a.root, b.root);

const copyState = (state: TreeState): TreeState => ({ size: state.size, root: Buffer.from(state.root) });

/** An in-process store (for tests and single-process witnesses; state is lost on exit). */
export class MemoryWitnessStateStore implements WitnessStateStore {
  readonly #states = new Map<string, TreeState>();

  async get(origin: string): Promise<TreeState | undefined> {
    const state = this.#states.get(origin);
    return state === undefined ? undefined : copyState(state);
  }

  async compareAndSet(origin: string, old: TreeState | undefined, next: TreeState): Promise<boolean> {
    if (!sameState(this.#states.get(origin), old)) return false;
    this.#states.set(origin, copyState(next));
    return true;
  }
}

export interface WitnessResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export type KnownLogs =
  | ReadonlyMap<string, NoteVerifier | readonly NoteVerifier[]>
  | Readonly<Record<string, NoteVerifier | readonly NoteVerifier[]>>;

export interface WitnessOptions {
  /** The witness's key name (a schema-less URL is recommended), used in its cosignature lines. */
  readonly name: string;
  readonly key: SigningKey;
  /** Log origin -> the key(s) the log signs its checkpoints with. */
  readonly logs: KnownLogs;
  readonly store: WitnessStateStore;
  /** Milliseconds since the Unix epoch, as Date.now (the default); cosignatures carry it in whole seconds. */
  readonly clock?: () => number;
}

export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** The spec: a client MUST NOT send more than 63 consistency proof lines. */
export const MAX_PROOF_LINES = 63;
/** The old size line, 63 proof lines, the blank line and the largest note this package opens. */
export const MAX_REQUEST_BYTES = 32 + MAX_PROOF_LINES * 45 + 1 + MAX_NOTE_BYTES;

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Buffer[];
  /** The signed checkpoint note, unverified. */
  readonly checkpoint: string;
}

/** A malformed add-checkpoint request (the witness answers 400). */
export class WitnessRequestError extends ProtocolError {
  readonly layer = 'ledger';
}

/** Parses an add-checkpoint request body: `old <size>\n`, base64 proof lines, an empty line, the checkpoint. */
export function parseAddCheckpointRequest(body: string | Uint8Array): AddCheckpointRequest {
  let text: string;
  if (typeof body === 'string') {
    text = body;
    if (Buffer.byteLength(text, 'utf8') > MAX_REQUEST_BYTES)
      throw new WitnessRequestError('request', 'is too large', 'size');
  } else {
    if (body.length > MAX_REQUEST_BYTES) throw new WitnessRequestError('request', 'is too large', 'size');
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      throw new WitnessRequestError('request', 'is not valid UTF-8', 'encoding');
    }
  }
  let at = text.indexOf('\n');
  if (at < 0) throw new WitnessRequestError('request', 'has no old size line', 'format');
  const oldLine = /^old (0|[1-9][0-9]*)$/.exec(text.slice(0, at));
  const oldSize = Number(oldLine?.[1]);
  if (oldLine === null || !Number.isSafeInteger(oldSize)) {
    throw new WitnessRequestError(
      'request.old',
      "must be 'old <size>' in decimal without leading zeros",
      'format',
    );
  }
  const proof: Buffer[] = [];
  for (;;) {
    const start = at + 1;
    at = text.indexOf('\n', start);
    if (at < 0) throw new WitnessRequestError('request', 'has no empty line before the checkpoint', 'format');
    const line = text.slice(start, at);
    if (line === '') break;
    if (proof.length === MAX_PROOF_LINES) {
      throw new WitnessRequestError('request.proof', `has more than ${MAX_PROOF_LINES} lines`, 'length');
    }
    const hash = decodeBase64Std(line);
    if (hash === undefined || hash.length !== HASH_SIZE) {
      throw new WitnessRequestError(
        `request.proof[${proof.length}]`,
        `must be a ${HASH_SIZE}-byte hash in base64`,
        'format',
      );
    }
    proof.push(hash);
  }
  const checkpoint = text.slice(at + 1);
  if (checkpoint === '') throw new WitnessRequestError('request.checkpoint', 'is missing', 'format');
  return { oldSize, proof, checkpoint };
}

/** The body of an add-checkpoint request (for logs that submit to witnesses, and for tests). */
export function formatAddCheckpointRequest(
  oldSize: number,
  proof: readonly Uint8Array[],
  checkpointNote: string,
): string {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0) {
    throw new WitnessRequestError('oldSize', 'must be a whole number >= 0', 'size');
  }
  return `old ${oldSize}\n${proof.map((p) => `${encodeBase64Std(p)}\n`).join('')}\n${checkpointNote}`;
}

const text = (status: number, message: string): WitnessResponse => ({
  status,
  contentType: TEXT_CONTENT_TYPE,
  body: `${message}\n`,
});
const conflict = (size: number): WitnessResponse => ({
  status: 409,
  contentType: TLOG_SIZE_CONTENT_TYPE,
  body: `${size}\n`,
});
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A C2SP tlog-witness: verifies checkpoints of known logs, checks consistency with its state, and cosigns. */
export class Witness {
  readonly name: string;
  readonly #signer: CosignatureSigner;
  readonly #logs: Map<string, readonly NoteVerifier[]>;
  readonly #store: WitnessStateStore;
  readonly #clock: () => number;

  constructor(options: WitnessOptions) {
    this.#signer = new CosignatureSigner(options.name, options.key);
    this.name = options.name;
    this.#store = options.store;
    this.#clock = options.clock ?? Date.now;
    const entries: [string, NoteVerifier | readonly NoteVerifier[]][] =
      options.logs instanceof Map
        ? [...(options.logs as ReadonlyMap<string, NoteVerifier | readonly NoteVerifier[]>).entries()]
        : Object.entries(options.logs as Readonly<Record<string, NoteVerifier | readonly NoteVerifier[]>>);
    this.#logs = new Map();
    for (const [origin, value] of entries) {
      const verifiers = Array.isArray(value)
        ? [...(value as readonly NoteVerifier[])]
        : [value as NoteVerifier];
      if (origin === '' || origin.includes('\n')) {
        throw new CheckpointError('logs', `has an invalid origin ${JSON.stringify(origin)}`, 'format');
      }
      if (verifiers.length === 0) throw new CheckpointError(`logs[${origin}]`, 'has no verifier', 'length');
      const ids = new Set(verifiers.map((v) => `${v.name}\n${v.keyId}`));
      if (ids.size !== verifiers.length) {
        throw new NoteError(
          `logs[${origin}]`,
          'has two verifiers with the same name and key ID',
          'ambiguous',
        );
      }
      this.#logs.set(origin, verifiers);
    }
  }

  get keyId(): number {
    return this.#signer.keyId;
  }

  /** The witness's cosignature vkey (type 0x04), to give to clients. */
  get vkey(): string {
    return this.#signer.vkey;
  }

  get verifier(): CosignatureVerifier {
    return this.#signer.verifier;
  }

  /** The latest cosigned state for `origin`, if any. */
  async latest(origin: string): Promise<TreeState | undefined> {
    return this.#store.get(origin);
  }

  /**
   * Handles an add-checkpoint request body. Statuses as c2sp.org/tlog-witness: 200 with the cosignature line;
   * 400 malformed request or old size above the checkpoint size; 403 no trusted log signature verifies; 404
   * unknown origin; 409 (text/x.tlog.size, latest size) old size is not the latest cosigned size, or same size
   * with another root; 422 the consistency proof does not verify. Store failures propagate (answer 500).
   */
  async addCheckpoint(requestBody: string | Uint8Array): Promise<WitnessResponse> {
    let request: AddCheckpointRequest;
    let body: string;
    let checkpoint: Checkpoint;
    try {
      request = parseAddCheckpointRequest(requestBody);
      body = parseNote(request.checkpoint).text;
      checkpoint = parseCheckpoint(body);
    } catch (error) {
      if (error instanceof ProtocolError) return text(400, describe(error));
      throw error;
    }

    const verifiers = this.#logs.get(checkpoint.origin);
    if (verifiers === undefined) return text(404, `unknown log origin ${JSON.stringify(checkpoint.origin)}`);
    try {
      openNote(request.checkpoint, verifiers);
    } catch (error) {
      if (error instanceof NoteError) return text(403, `checkpoint signature: ${describe(error)}`);
      throw error;
    }

    const { oldSize, proof } = request;
    if (oldSize > checkpoint.size) {
      return text(400, `old size ${oldSize} is larger than the checkpoint size ${checkpoint.size}`);
    }
    const stored = await this.#store.get(checkpoint.origin);
    const latestSize = stored?.size ?? 0;
    if (oldSize !== latestSize) return conflict(latestSize);

    if (checkpoint.size === 0 && !equalBytes(checkpoint.root, EMPTY_ROOT)) {
      return text(422, 'checkpoint.root: is not SHA-256() of nothing, the root of the empty tree');
    }
    if (oldSize === 0) {
      // First checkpoint, or the witness only ever saw the empty tree: everything extends it.
      if (proof.length !== 0) return text(400, 'request.proof: must be empty when the old size is 0');
    } else if (stored !== undefined) {
      if (oldSize === checkpoint.size && proof.length === 0 && !equalBytes(stored.root, checkpoint.root)) {
        return conflict(latestSize);
      }
      try {
        verifyConsistency(oldSize, checkpoint.size, proof, stored.root, checkpoint.root);
      } catch (error) {
        if (error instanceof MerkleProofError) return text(422, `consistency proof: ${error.message}`);
        throw error;
      }
    }

    // Signed before persisting (a failing clock or key leaves the state untouched), returned only after.
    const cosignature = this.#signer.cosign(body, Math.floor(this.#clock() / 1000));
    const next: TreeState = { size: checkpoint.size, root: checkpoint.root };
    if (!(await this.#store.compareAndSet(checkpoint.origin, stored, next))) {
      // Another request moved the state between our read and write: the client must retry from there.
      const now = await this.#store.get(checkpoint.origin);
      return conflict(now?.size ?? 0);
    }
    return { status: 200, contentType: TEXT_CONTENT_TYPE, body: cosignature };
  }

  toString(): string {
    return `Witness(${this.name}+${formatKeyId(this.keyId)})`;
  }
}
