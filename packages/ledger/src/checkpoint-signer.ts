import type { CheckpointSigner } from './log.js';
import { signCheckpoint } from './note/checkpoint.js';
import type { NoteSigner } from './note/signed-note.js';

/** Signs each checkpoint of the log as a C2SP tlog-checkpoint note with the log's key. */
export function noteCheckpointSigner(origin: string, signer: NoteSigner): CheckpointSigner {
  return { origin, sign: (size, root) => signCheckpoint({ origin, size, root }, signer) };
}
