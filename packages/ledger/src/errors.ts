import { ProtocolError } from '@parley/protocol';

/** A Merkle inclusion or consistency proof that does not verify, or a malformed one. */
export class MerkleProofError extends ProtocolError {
  readonly layer = 'ledger';
}
/** A signed note (C2SP signed-note) that is malformed or whose signature does not verify. */
export class NoteError extends ProtocolError {
  readonly layer = 'ledger';
}
/** A checkpoint (C2SP tlog-checkpoint) that is malformed, a rewind or a fork. */
export class CheckpointError extends ProtocolError {
  readonly layer = 'ledger';
}
/** The stored tree does not reproduce what the log signed: a tampered or lost node or leaf. */
export class IntegrityError extends ProtocolError {
  readonly layer = 'ledger';
}
/** A record the log refuses to hold (not a canonical audit record, or personal data). */
export class RecordError extends ProtocolError {
  readonly layer = 'ledger';
}
