import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';

/**
 * The vault's envelope: a passphrase stretched by scrypt into an AES-256-GCM key. The header (format, KDF
 * parameters, nonce) is authenticated with the ciphertext, so changing a parameter is detected like changing
 * a byte of the data.
 */
export interface SealedVault {
  format: 'parley-vault';
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: { name: 'aes-256-gcm'; iv: string; tag: string };
  ciphertext: string;
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** scrypt with N = 2^17, r = 8, p = 1: OWASP's recommendation for a passphrase (about 128 MiB, a few tenths of a second). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
// A vault file names its own parameters; bound them so a crafted file cannot make opening it take forever.
const LIMITS = { N: 2 ** 20, r: 32, p: 16 };

export type VaultErrorCode = 'WRONG_PASSPHRASE' | 'NOT_A_VAULT' | 'UNSUPPORTED' | 'BAD_PASSPHRASE';

export class VaultError extends Error {
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

const b64 = (b: Buffer) => b.toString('base64url');

function deriveKey(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const maxmem = 128 * params.N * params.r + 64 * 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

function header(
  sealed: Omit<SealedVault, 'ciphertext' | 'cipher'> & { cipher: { name: string; iv: string } },
): Buffer {
  const { format, version, kdf, cipher } = sealed;
  return Buffer.from(JSON.stringify({ format, version, kdf, cipher: { name: cipher.name, iv: cipher.iv } }));
}

/** A key derived from a passphrase, with the parameters that derive it again. Kept in memory by an open vault. */
export interface VaultKey {
  key: Buffer;
  kdf: SealedVault['kdf'];
}

export async function deriveVaultKey(
  passphrase: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<VaultKey> {
  if (passphrase.length === 0) throw new VaultError('BAD_PASSPHRASE', 'passphrase: must not be empty');
  const salt = randomBytes(16);
  return {
    key: await deriveKey(passphrase, salt, params),
    kdf: { name: 'scrypt', ...params, salt: b64(salt) },
  };
}

/** Seals with a fresh random nonce (GCM's 96-bit random nonces are safe far beyond a person's number of saves). */
export function sealWithKey(plaintext: Buffer, { key, kdf }: VaultKey): SealedVault {
  const iv = randomBytes(12);
  const base = {
    format: 'parley-vault' as const,
    version: 1 as const,
    kdf,
    cipher: { name: 'aes-256-gcm' as const, iv: b64(iv) },
  };
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header(base));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ...base, cipher: { ...base.cipher, tag: b64(cipher.getAuthTag()) }, ciphertext: b64(ciphertext) };
}

export async function seal(
  plaintext: Buffer,
  passphrase: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<SealedVault> {
  const vaultKey = await deriveVaultKey(passphrase, params);
  try {
    return sealWithKey(plaintext, vaultKey);
  } finally {
    vaultKey.key.fill(0);
  }
}

const isB64 = (v: unknown, bytes?: number): v is string =>
  typeof v === 'string' &&
  /^[A-Za-z0-9_-]*$/.test(v) &&
  (bytes === undefined || Buffer.from(v, 'base64url').length === bytes);
const isInt = (v: unknown, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;

/** Checks the shape of a sealed vault read from outside, naming the first field that is wrong. */
export function parseSealed(value: unknown): SealedVault {
  const v = value as Partial<SealedVault> | null;
  if (!v || typeof v !== 'object' || v.format !== 'parley-vault') {
    throw new VaultError('NOT_A_VAULT', 'format: not a Parley vault (expected "parley-vault")');
  }
  if (v.version !== 1)
    throw new VaultError(
      'UNSUPPORTED',
      `version: vault version ${String(v.version)} is not supported (expected 1)`,
    );
  const kdf = v.kdf;
  if (!kdf || kdf.name !== 'scrypt') throw new VaultError('UNSUPPORTED', 'kdf.name: expected scrypt');
  for (const k of ['N', 'r', 'p'] as const) {
    if (!isInt(kdf[k], LIMITS[k]))
      throw new VaultError('UNSUPPORTED', `kdf.${k}: expected a whole number from 1 to ${LIMITS[k]}`);
  }
  if ((kdf.N & (kdf.N - 1)) !== 0 || kdf.N < 2)
    throw new VaultError('UNSUPPORTED', 'kdf.N: expected a power of two');
  if (!isB64(kdf.salt, 16)) throw new VaultError('NOT_A_VAULT', 'kdf.salt: expected 16 bytes in base64url');
  const cipher = v.cipher;
  if (!cipher || cipher.name !== 'aes-256-gcm')
    throw new VaultError('UNSUPPORTED', 'cipher.name: expected aes-256-gcm');
  if (!isB64(cipher.iv, 12)) throw new VaultError('NOT_A_VAULT', 'cipher.iv: expected 12 bytes in base64url');
  if (!isB64(cipher.tag, 16))
    throw new VaultError('NOT_A_VAULT', 'cipher.tag: expected 16 bytes in base64url');
  if (!isB64(v.ciphertext)) throw new VaultError('NOT_A_VAULT', 'ciphertext: expected base64url');
  return v as SealedVault;
}

/** Opens a sealed vault and returns its plaintext and the key that opened it (for sealing it again). */
export async function unsealWithKey(
  value: unknown,
  passphrase: string,
): Promise<{ plaintext: Buffer; vaultKey: VaultKey }> {
  const sealed = parseSealed(value);
  const { kdf, cipher } = sealed;
  const key = await deriveKey(passphrase, Buffer.from(kdf.salt, 'base64url'), kdf);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(cipher.iv, 'base64url'));
  decipher.setAAD(header(sealed));
  decipher.setAuthTag(Buffer.from(cipher.tag, 'base64url'));
  try {
    const plaintext = Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64url')),
      decipher.final(),
    ]);
    return {
      plaintext,
      vaultKey: { key, kdf: { name: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt } },
    };
  } catch {
    key.fill(0);
    throw new VaultError(
      'WRONG_PASSPHRASE',
      'passphrase: does not open this vault (or the file was altered)',
    );
  }
}

export async function unseal(value: unknown, passphrase: string): Promise<Buffer> {
  const { plaintext, vaultKey } = await unsealWithKey(value, passphrase);
  vaultKey.key.fill(0);
  return plaintext;
}
