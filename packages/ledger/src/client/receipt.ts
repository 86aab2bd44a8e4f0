import { CheckpointError, RecordError } from '../errors.js';
import { openCheckpoint, type Checkpoint } from '../note/checkpoint.js';
import type { NoteVerifier } from '../note/signed-note.js';
import { verifyInclusion } from '../proof/verify.js';
import { auditRecordLeaf } from '../records.js';
import { leafHash } from '../rfc6962.js';

/** What a party keeps: the record, where it sits, the path to the root, and the signed checkpoint of that root. */
export interface LedgerReceipt {
  record: unknown;
  index: number;
  /** Inclusion proof, standard base64 hashes, bottom-up (RFC 9162 order). */
  proof: string[];
  /** The log's signed checkpoint (C2SP tlog-checkpoint note). */
  checkpoint: string;
}

export interface VerifiedReceipt {
  checkpoint: Checkpoint;
  index: number;
  leafHash: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Verifies a receipt offline: the checkpoint is signed by the log's key, the record is a canonical audit
 * record, and the inclusion proof leads from its leaf hash at `index` to the checkpoint's root.
 */
export function verifyLedgerReceipt(
  receipt: unknown,
  logVerifiers: NoteVerifier | readonly NoteVerifier[],
): VerifiedReceipt {
  if (typeof receipt !== 'object' || receipt === null || Array.isArray(receipt)) {
    throw new RecordError('receipt', 'expected an object {record, index, proof, checkpoint}', 'type');
  }
  const r = receipt as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!['record', 'index', 'proof', 'checkpoint'].includes(key))
      throw new RecordError(`receipt.${key}`, 'is not allowed here', 'unknown');
  }
  if (typeof r.checkpoint !== 'string')
    throw new CheckpointError('receipt.checkpoint', 'expected the signed checkpoint note', 'type');
  if (!Number.isSafeInteger(r.index) || (r.index as number) < 0)
    throw new RecordError('receipt.index', 'expected a leaf index', 'type');
  if (
    !Array.isArray(r.proof) ||
    r.proof.length > 64 ||
    r.proof.some((p) => typeof p !== 'string' || !BASE64.test(p))
  ) {
    throw new RecordError('receipt.proof', 'expected an array of base64 SHA-256 hashes', 'type');
  }
  const { checkpoint } = openCheckpoint(r.checkpoint, logVerifiers);
  const leaf = leafHash(auditRecordLeaf(r.record, 'receipt.record'));
  const index = r.index as number;
  verifyInclusion(
    index,
    checkpoint.size,
    leaf,
    (r.proof as string[]).map((p) => Buffer.from(p, 'base64')),
    checkpoint.root,
  );
  return { checkpoint, index, leafHash: leaf };
}
