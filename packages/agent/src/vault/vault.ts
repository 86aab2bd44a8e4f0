import { randomBytes } from 'node:crypto';
import { open as openFile, readFile, rename, rm } from 'node:fs/promises';
import { inspect } from 'node:util';
import {
  DEFAULT_SCRYPT,
  deriveVaultKey,
  sealWithKey,
  unsealWithKey,
  VaultError,
  type ScryptParams,
  type SealedVault,
  type VaultKey,
} from './envelope.js';

/** What a person's vault holds. Each section is keyed by an id the agent chooses (a vendor, an agreement…). */
export interface VaultContents {
  version: 1;
  createdAt: string;
  /** Secret key material (base64url), e.g. the master key pairwise identities derive from. */
  keys: Record<string, string>;
  /** The person's own data: name, addresses, phones, emails, preferences. */
  personalData: Record<string, unknown>;
  agreements: Record<string, unknown>;
  /** Event chains, by agreement. */
  chains: Record<string, unknown>;
  receipts: Record<string, unknown>;
}

function emptyContents(): VaultContents {
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    keys: {},
    personalData: {},
    agreements: {},
    chains: {},
    receipts: {},
  };
}

const SECTIONS = ['keys', 'personalData', 'agreements', 'chains', 'receipts'] as const;

function checkContents(value: Partial<VaultContents>): VaultContents {
  if (value.version !== 1)
    throw new VaultError('UNSUPPORTED', `contents.version: ${String(value.version)} is not supported`);
  for (const section of SECTIONS) {
    const v = value[section];
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      throw new VaultError('NOT_A_VAULT', `contents.${section}: expected an object`);
    }
  }
  return value as VaultContents;
}

function parseContents(plaintext: Buffer): string {
  const text = plaintext.toString('utf8');
  checkContents(JSON.parse(text) as Partial<VaultContents>);
  return text;
}

function readSealed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new VaultError('NOT_A_VAULT', 'file: not a Parley vault (not JSON)');
  }
}

/** Writes a file that is either the old one or the new one whole, readable by its owner only. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await openFile(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * The person's vault: one file, encrypted at rest under her passphrase (scrypt, AES-256-GCM). While open it
 * keeps the derived key (not the passphrase) to seal each save under a fresh nonce. It can be exported whole
 * and imported by another agent provider with the passphrase alone.
 */
export class Vault {
  private constructor(
    readonly path: string,
    private vaultKey: VaultKey,
    /** The contents as JSON text: one copy, parsed when read, written as it is. */
    private text: string,
  ) {}

  static async create(
    path: string,
    passphrase: string,
    params: ScryptParams = DEFAULT_SCRYPT,
  ): Promise<Vault> {
    const vault = new Vault(path, await deriveVaultKey(passphrase, params), JSON.stringify(emptyContents()));
    await vault.saveAsNew('open it instead');
    return vault;
  }

  static async open(path: string, passphrase: string): Promise<Vault> {
    const { plaintext, vaultKey } = await unsealWithKey(readSealed(await readFile(path, 'utf8')), passphrase);
    return new Vault(path, vaultKey, parseContents(plaintext));
  }

  /** Writes an exported vault (checked by opening it with `passphrase`) as a new vault file at `path`. */
  static async import(exported: string, passphrase: string, path: string): Promise<Vault> {
    const { plaintext, vaultKey } = await unsealWithKey(readSealed(exported), passphrase);
    const vault = new Vault(path, vaultKey, parseContents(plaintext));
    await vault.saveAsNew('import into a new file');
    return vault;
  }

  /** A copy of the contents (changes go through update or replace). */
  get contents(): VaultContents {
    return JSON.parse(this.text) as VaultContents;
  }

  /** Applies a change to a copy and saves it; the vault changes only if the save succeeds. */
  async update(change: (contents: VaultContents) => void): Promise<void> {
    const next = this.contents;
    change(next);
    await this.replace(next);
  }

  /**
   * Saves `contents` whole (read once, synchronously: the caller may change its objects as soon as this
   * returns a promise). The vault changes only if the save succeeds.
   */
  async replace(contents: VaultContents): Promise<void> {
    checkContents(contents);
    const text = JSON.stringify(contents);
    await this.write(text, this.vaultKey);
    this.text = text;
  }

  async changePassphrase(passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<void> {
    const vaultKey = await deriveVaultKey(passphrase, params);
    await this.write(this.text, vaultKey);
    this.vaultKey.key.fill(0);
    this.vaultKey = vaultKey;
  }

  /** The whole vault, sealed as it is on disk, for moving to another agent provider. */
  export(): string {
    return JSON.stringify(sealWithKey(Buffer.from(this.text), this.vaultKey));
  }

  /** Forgets the key; the vault must be opened again to be used. */
  close(): void {
    this.vaultKey.key.fill(0);
  }

  /** Claims the path (refusing an existing file), then writes; a failed write leaves no empty file behind. */
  private async saveAsNew(hint: string): Promise<void> {
    const handle = await openFile(this.path, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EEXIST' ? new Error(`path: ${this.path} exists already; ${hint}`) : error;
    });
    await handle.close();
    try {
      await this.write(this.text, this.vaultKey);
    } catch (error) {
      await rm(this.path, { force: true });
      throw error;
    }
  }

  private async write(text: string, vaultKey: VaultKey): Promise<void> {
    const sealed: SealedVault = sealWithKey(Buffer.from(text), vaultKey);
    await writeAtomically(this.path, JSON.stringify(sealed, null, 1));
  }

  toJSON(): string {
    return `[Vault ${this.path}]`;
  }

  [inspect.custom](): string {
    return `Vault { path: ${this.path}, contents: [encrypted] }`;
  }
}
