import { CheckpointError } from '../errors.js';
import { openCheckpoint, type Checkpoint } from '../note/checkpoint.js';
import type { NoteVerifier } from '../note/signed-note.js';
import { verifyConsistency } from '../proof/verify.js';
import { MerkleProofError } from '../errors.js';

/**
 * A client's memory of a log: the last checkpoint it trusted. A newer checkpoint is accepted only with a
 * consistency proof from the trusted one; a smaller tree (rewind) or another root for a size already seen
 * (fork) is refused with a message that says which, and the trusted checkpoint stays as it was.
 */
export class CheckpointTracker {
  readonly origin: string;
  readonly #verifiers: readonly NoteVerifier[];
  #trusted: { note: string; checkpoint: Checkpoint } | undefined;

  constructor(origin: string, verifiers: NoteVerifier | readonly NoteVerifier[], trustedNote?: string) {
    this.origin = origin;
    this.#verifiers = Array.isArray(verifiers)
      ? (verifiers as readonly NoteVerifier[])
      : [verifiers as NoteVerifier];
    if (trustedNote !== undefined) this.#trusted = { note: trustedNote, checkpoint: this.#open(trustedNote) };
  }

  get trusted(): Checkpoint | undefined {
    return this.#trusted?.checkpoint;
  }

  /** The note of the trusted checkpoint, to persist and hand back to the constructor next time. */
  get trustedNote(): string | undefined {
    return this.#trusted?.note;
  }

  #open(note: string): Checkpoint {
    const { checkpoint } = openCheckpoint(note, this.#verifiers);
    if (checkpoint.origin !== this.origin) {
      throw new CheckpointError(
        'checkpoint.origin',
        `is "${checkpoint.origin}", expected "${this.origin}"`,
        'origin',
      );
    }
    return checkpoint;
  }

  /**
   * Checks `note` against the trusted checkpoint, with `proof` the consistency proof from the trusted size
   * to the new one. Returns the new checkpoint, now trusted.
   */
  update(note: string, proof: readonly Uint8Array[]): Checkpoint {
    const next = this.#open(note);
    const old = this.#trusted?.checkpoint;
    if (old) {
      if (next.size < old.size) {
        throw new CheckpointError(
          'checkpoint.size',
          `rewind: the log now says ${next.size} leaves, but ${old.size} were already checkpointed`,
          'rewind',
        );
      }
      if (next.size === old.size && Buffer.compare(next.root, old.root) !== 0) {
        throw new CheckpointError(
          'checkpoint.root',
          `fork: another root for size ${old.size} than the one trusted`,
          'fork',
        );
      }
      if (next.size > old.size && old.size > 0) {
        try {
          verifyConsistency(old.size, next.size, proof, old.root, next.root);
        } catch (error) {
          const detail = error instanceof MerkleProofError ? error.message : String(error);
          throw new CheckpointError(
            'checkpoint',
            `fork: size ${next.size} is not an extension of the trusted size ${old.size} (${detail})`,
            'fork',
          );
        }
      }
    }
    this.#trusted = { note, checkpoint: next };
    return next;
  }
}
