import { decodeBase64url, encodeBase64url } from '../encoding/base64url.js';
import { JwtError, ProtocolError } from '../errors.js';
import { equalBytes, hmacSha256 } from '../crypto/hash.js';
import { SigningKey, verifyEd25519, PUBLIC_KEY_BYTES } from '../crypto/ed25519.js';
import { parseStrictJson } from '../json/strict-parse.js';

/** The one HS256 header JLINC writes, byte for byte: `{"alg":"HS256","typ":"JWT"}`. */
export const HS256_HEADER = encodeBase64url(Buffer.from('{"alg":"HS256","typ":"JWT"}'));

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `header.payload`, the exact ASCII that was MACed or signed. */
  signingInput: string;
  signature: Buffer;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Splits and decodes a compact JWS. Does not check the signature. An empty signature segment is rejected. */
export function decodeJwt(jwt: unknown, field: string): DecodedJwt {
  if (typeof jwt !== 'string') throw new JwtError(field, 'expected a JWT string', 'type');
  if (!JWT_SHAPE.test(jwt))
    throw new JwtError(field, 'expected three base64url segments separated by "."', 'shape');
  const [h, p, s] = jwt.split('.') as [string, string, string];
  if (s.length === 0) throw new JwtError(field, 'has an empty signature segment', 'unsigned');
  try {
    const header = parseObject(decodeBase64url(h, `${field}.header`), `${field}.header`);
    const payload = parseObject(decodeBase64url(p, `${field}.payload`), `${field}.payload`);
    return {
      header,
      payload,
      signingInput: `${h}.${p}`,
      signature: decodeBase64url(s, `${field}.signature`),
    };
  } catch (error) {
    if (error instanceof JwtError) throw error;
    if (error instanceof ProtocolError)
      throw new JwtError(error.field, error.message.slice(error.field.length + 2), error.code);
    throw error;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function parseObject(bytes: Uint8Array, field: string): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new JwtError(field, 'is not valid UTF-8', 'utf8');
  }
  const value = parseStrictJson(text, { field, maxDepth: 32 });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtError(field, 'expected a JSON object', 'type');
  }
  return value as Record<string, unknown>;
}

/** HS256 JWT the JLINC way: fixed header, payload = JSON.stringify in insertion order, no `iat`. */
export function createHs256Jwt(payload: object, secret: string): string {
  const signingInput = `${HS256_HEADER}.${encodeBase64url(Buffer.from(JSON.stringify(payload)))}`;
  return `${signingInput}.${encodeBase64url(hmacSha256(secret, signingInput))}`;
}

/** Checks the MAC of an HS256 JWT with the issuer's secret and returns its decoded parts. */
export function verifyHs256Jwt(jwt: unknown, secret: string, field: string): DecodedJwt {
  const decoded = decodeJwt(jwt, field);
  if (decoded.header.alg !== 'HS256') throw new JwtError(`${field}.header.alg`, 'expected "HS256"', 'alg');
  if (!equalBytes(hmacSha256(secret, decoded.signingInput), decoded.signature)) {
    throw new JwtError(`${field}.signature`, 'HMAC does not verify with the issuer secret', 'signature');
  }
  return decoded;
}

/**
 * EdDSA JWT as jlinc-jwt writes it (RFC 8037): header `{alg, typ, jwk: {kty, crv, x[, kid]}}`, Ed25519 over
 * the ASCII `header.payload` directly (no pre-hash, unlike SISA signatures).
 */
export function createEdDsaJwt(payload: object, key: SigningKey, kid?: string): string {
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(key.publicKey), ...(kid ? { kid } : {}) };
  const header = { alg: 'EdDSA', typ: 'JWT', jwk };
  const signingInput = `${encodeBase64url(Buffer.from(JSON.stringify(header)))}.${encodeBase64url(
    Buffer.from(JSON.stringify(payload)),
  )}`;
  return `${signingInput}.${encodeBase64url(key.sign(Buffer.from(signingInput)))}`;
}

/**
 * Verifies an EdDSA JWT against `publicKey`, or, when none is given, against the key in the header's `jwk`
 * (which only proves possession of that key: the caller decides whether the key is the one it expects).
 */
export function verifyEdDsaJwt(jwt: unknown, field: string, publicKey?: Uint8Array): DecodedJwt {
  const decoded = decodeJwt(jwt, field);
  if (decoded.header.alg !== 'EdDSA') throw new JwtError(`${field}.header.alg`, 'expected "EdDSA"', 'alg');
  let key = publicKey;
  if (!key) {
    const jwk = decoded.header.jwk as Record<string, unknown> | undefined;
    if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
      throw new JwtError(`${field}.header.jwk`, 'expected an OKP Ed25519 JWK', 'jwk');
    }
    try {
      key = decodeBase64url(jwk.x, `${field}.header.jwk.x`, PUBLIC_KEY_BYTES);
    } catch (error) {
      if (error instanceof ProtocolError)
        throw new JwtError(`${field}.header.jwk.x`, 'expected a 32-byte key', 'jwk');
      throw error;
    }
  }
  if (!verifyEd25519(Buffer.from(decoded.signingInput), decoded.signature, key)) {
    throw new JwtError(`${field}.signature`, 'Ed25519 signature does not verify', 'signature');
  }
  return decoded;
}
