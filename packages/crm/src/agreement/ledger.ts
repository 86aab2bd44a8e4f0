import {
  Ed25519NoteSigner,
  MerkleLog,
  noteCheckpointSigner,
  openLogStorage,
  SqliteLogStorage,
  type LedgerReceipt,
} from '@parley/ledger';
import {
  messageHash,
  sha256Hex,
  type DataKind,
  type InformationSharingAgreement,
  type JlincEvent,
  type SigningKey,
} from '@parley/protocol';
import { openDatabase, type SqliteDatabase } from '@parley/store';

export interface LedgerOptions {
  /** A SQLite file or `postgres://…` URL; default: in memory (gone at close). */
  url?: string;
  /** The log's origin line, which names it in checkpoints and in its vkey (default `parley-crm/ledger`). */
  origin?: string;
}

export const DEFAULT_LEDGER_ORIGIN = 'parley-crm/ledger';

/**
 * The vendor's verifiable log: every agreement, acknowledged event, consent receipt, termination confirmation
 * and data export as an audit record of ids, DIDs and hashes (never data). Concurrent appends are grouped by
 * MerkleLog into one commit and one signed checkpoint.
 */
export class AgreementLedger {
  readonly origin: string;
  readonly vkey: string;
  readonly #log: MerkleLog;

  private constructor(log: MerkleLog, signer: Ed25519NoteSigner) {
    this.#log = log;
    this.origin = signer.name;
    this.vkey = signer.vkey;
  }

  static async open(key: SigningKey, options: LedgerOptions = {}): Promise<AgreementLedger> {
    const origin = options.origin ?? DEFAULT_LEDGER_ORIGIN;
    const signer = new Ed25519NoteSigner(origin, key);
    let storage;
    if (options.url === undefined || options.url === ':memory:') {
      // One connection, nothing to checkpoint in the background.
      storage = new SqliteLogStorage(openDatabase({ url: ':memory:' }) as SqliteDatabase, {
        backgroundCheckpoints: false,
      });
      await storage.init();
    } else {
      storage = await openLogStorage({ url: options.url });
    }
    const log = await MerkleLog.open(storage, noteCheckpointSigner(origin, signer));
    return new AgreementLedger(log, signer);
  }

  get size(): number {
    return this.#log.size;
  }

  /**
   * Appends audit records (one commit, shared with concurrent callers) and returns the receipt of the first:
   * the record the answer names; the others are logged alongside it.
   */
  async append(records: readonly [object, ...object[]]): Promise<LedgerReceipt> {
    const { firstIndex } = await this.#log.append(records);
    return this.#log.receipt(firstIndex);
  }

  /** Appends audit records (one commit) and returns the receipt of each, in order. */
  async appendEach(records: readonly [object, ...object[]]): Promise<LedgerReceipt[]> {
    const { firstIndex } = await this.#log.append(records);
    return Promise.all(records.map((_, i) => this.#log.receipt(firstIndex + i)));
  }

  /** The receipt of a record logged earlier: its inclusion proof against the newest checkpoint. */
  receipt(index: number): Promise<LedgerReceipt> {
    return this.#log.receipt(index);
  }

  close(): Promise<void> {
    return this.#log.close();
  }
}

/** The audit record of an agreement: who, which terms (and the text's hash), the hashes of the signed messages. */
export function agreementRecord(agreement: InformationSharingAgreement, sisaId: string) {
  return {
    type: 'agreement',
    agreementId: agreement.id,
    terms: agreement.terms.id,
    termsSha256: agreement.terms.sha256,
    person: agreement.person,
    organisation: agreement.organisation,
    messages: agreement.messages.map((m) => messageHash(m)),
    sisaId,
  };
}

/** The audit record of an acknowledged event: its `audit` block (ids, DIDs, keys, both signatures). */
export function sisaEventRecord(acknowledged: JlincEvent) {
  return { type: 'sisaEvent', ...acknowledged.audit };
}

export function consentReceiptRecord(agreementId: string, issuer: string, jws: string) {
  return { type: 'consentReceipt', agreementId, issuer, jwsSha256: sha256Hex(jws) };
}

export function terminationConfirmationRecord(
  confirmation: { agreementId: string; terminationHash: string; dataDisposition: string; from: string },
  counts: { fields: number; records: number },
) {
  return {
    type: 'terminationConfirmation',
    agreementId: confirmation.agreementId,
    issuer: confirmation.from,
    terminationHash: confirmation.terminationHash,
    confirmationHash: messageHash(confirmation),
    dataDisposition: confirmation.dataDisposition,
    fields: counts.fields,
    records: counts.records,
  };
}

export function dataExportRecord(request: {
  id: string;
  agreementId: string;
  from: string;
  include: DataKind[];
  format: string;
}) {
  return {
    type: 'dataExport',
    agreementId: request.agreementId,
    requestId: request.id,
    requestHash: messageHash(request),
    person: request.from,
    include: request.include,
    format: request.format,
  };
}
