import { Ed25519NoteSigner, MerkleLog, noteCheckpointSigner, openLogStorage } from '@parley/ledger';
import type { Party } from '@parley/protocol';

/**
 * The person's own log of what happened in her relationships: the same audit records the vendors log
 * (ids, DIDs, hashes, signatures; never her data), so she holds proofs of her own and needs no vendor's.
 */
export class OwnLedger {
  private constructor(
    readonly log: MerkleLog,
    readonly vkey: string,
  ) {}

  static async open(url: string, master: Party, origin = 'parley-agent/ledger'): Promise<OwnLedger> {
    const signer = new Ed25519NoteSigner(origin, master.key.derive('agent-ledger'));
    const log = await MerkleLog.open(await openLogStorage({ url }), noteCheckpointSigner(origin, signer));
    return new OwnLedger(log, signer.vkey);
  }

  /** Appends one record; concurrent calls share a batch and a checkpoint. Returns its index. */
  async append(record: object): Promise<number> {
    const result = await this.log.append([record]);
    return result.firstIndex;
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}
