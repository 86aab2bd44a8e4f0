import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readVector, sharedVectorText, VECTOR_DIR } from '../testing/vectors.js';
import { SigningKey } from '../crypto/ed25519.js';
import { decodeBase64url } from '../encoding/base64url.js';
import { createHash, signItem, verifyHash, verifyItem } from './primitives.js';
import { decodeJwt, verifyHs256Jwt, verifyEdDsaJwt, createEdDsaJwt, createHs256Jwt } from '../jwt/jws.js';
import { didJlincToDidKey, didKeyToDidJlinc, publicKeyFromDid, didDocument } from '../identity/did.js';
import { validateSisa } from './sisa.js';
import { JlincError, JwtError } from '../errors.js';
import { sha256 } from '../crypto/hash.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const v = readVector<any>('jlinc.json');

test('the repository copy of jlinc.json matches ../shared/vectors when that is present', (t) => {
  const shared = sharedVectorText('jlinc.json');
  if (shared === undefined) return t.skip('../shared/vectors not beside the repository');
  assert.equal(readFileSync(VECTOR_DIR + 'jlinc.json', 'utf8'), shared);
});

test('createHash vector from jlinc-node', () => {
  assert.equal(createHash(v.primitives.createHash.input), v.primitives.createHash.output);
});

test('signItem vector: deterministic signature, verifies, fails with the wrong key', () => {
  const s = v.primitives.signItem;
  const key = SigningKey.fromSecretKey(decodeBase64url(s.privateKey, 'privateKey', 64));
  assert.equal(key.publicKey.toString('base64url'), s.publicKey);
  assert.equal(signItem(s.itemSigned, key), s.signature);
  verifyItem(s.itemSigned, s.signature, decodeBase64url(s.publicKey, 'pk'), 'sig');
  assert.throws(
    () => verifyItem(s.itemSigned, s.signature, decodeBase64url(s.wrongPublicKey, 'pk'), 'sig'),
    JlincError,
  );
  assert.throws(
    () => verifyItem(s.itemSigned + '!', s.signature, decodeBase64url(s.publicKey, 'pk'), 'sig'),
    JlincError,
  );
});

test('v6 README SISA: every signature, every HMAC and the sisaId verify', () => {
  const r = v.readmeV6Sisa;
  const custodianKey = decodeBase64url(r.dataCustodian.signingPublicKey, 'pk');
  const holderKey = decodeBase64url(r.rightsHolder.signingPublicKey, 'pk');
  // The published key pairs are consistent (libsodium layout seed || public key).
  assert.ok(
    SigningKey.fromSecretKey(decodeBase64url(r.dataCustodian.signingPrivateKey, 'sk', 64)).publicKey.equals(
      custodianKey,
    ),
  );
  assert.ok(
    SigningKey.fromSecretKey(decodeBase64url(r.rightsHolder.signingPrivateKey, 'sk', 64)).publicKey.equals(
      holderKey,
    ),
  );

  const offered = r.offeredSisa;
  // agreementJwt: HMAC with the custodian's secret; dataCustodianSig = signItem(agreementJwt).
  const agreement = verifyHs256Jwt(offered.agreementJwt, r.dataCustodian.secret, 'agreementJwt').payload;
  assert.match(agreement.jlincId as string, /^[0-9a-f]{64}$/);
  verifyItem(offered.agreementJwt, offered.dataCustodianSig, custodianKey, 'dataCustodianSig');
  // Re-signing with the published secret key reproduces the published signature byte for byte.
  const custodian = SigningKey.fromSecretKey(decodeBase64url(r.dataCustodian.signingPrivateKey, 'sk', 64));
  assert.equal(signItem(offered.agreementJwt, custodian), offered.dataCustodianSig);

  // acceptedSisaJwt: HMAC with the rights holder's secret; sisaId = createHash(acceptedSisaJwt).
  const accepted = verifyHs256Jwt(r.sisa.acceptedSisaJwt, r.rightsHolder.secret, 'acceptedSisaJwt').payload;
  assert.equal(createHash(r.sisa.acceptedSisaJwt), r.sisa.sisaId);
  // offeredSisaJwt: HMAC with the rights holder's secret, carrying the offering; rightsHolderSig over it.
  const offeredJwt = accepted.offeredSisaJwt as string;
  const inner = verifyHs256Jwt(offeredJwt, r.rightsHolder.secret, 'offeredSisaJwt').payload;
  assert.equal(inner.agreementJwt, offered.agreementJwt);
  assert.equal(inner.dataCustodianSig, offered.dataCustodianSig);
  verifyItem(offeredJwt, accepted.rightsHolderSig, holderKey, 'rightsHolderSig');
  // The rights holder's JWT of the offering reproduces byte for byte (JSON.stringify in insertion order).
  assert.equal(createHs256Jwt(inner, r.rightsHolder.secret), offeredJwt);
  // Wrong secrets fail.
  assert.throws(
    () => verifyHs256Jwt(r.sisa.acceptedSisaJwt, r.dataCustodian.secret, 'acceptedSisaJwt'),
    JwtError,
  );
  assert.throws(() => verifyHs256Jwt(offered.agreementJwt, r.rightsHolder.secret, 'agreementJwt'), JwtError);
});

test('v6 README SISA is refused by the v7 validator, naming @context', () => {
  const r = v.readmeV6Sisa;
  const sisa = { '@context': 'https://protocol.jlinc.org/context/jlinc-v6.jsonld', ...r.sisa };
  assert.throws(
    () => validateSisa(sisa),
    (e: unknown) => e instanceof JlincError && e.field === '@context',
  );
});

test('jlinc-jwt HS256 vectors', () => {
  for (const h of v.jlincJwt.hs256) {
    if (h.signed) {
      const jwt = `${h.signed}.${h.signature}`;
      verifyHs256Jwt(jwt, h.secret, 'jwt');
      assert.equal(createHs256Jwt(decodeJwt(jwt, 'jwt').payload, h.secret), jwt);
      assert.throws(() => verifyHs256Jwt(jwt, h.secret + 'x', 'jwt'), JwtError);
    } else {
      verifyHs256Jwt(h.jwt, h.secret, 'jwt');
    }
  }
});

test('jlinc-jwt EdDSA vectors: reproduce, verify, and fail with the wrong key', () => {
  for (const e of v.jlincJwt.eddsa) {
    const publicKey = decodeBase64url(e.publicKey, 'pk');
    if (e.secretKey) {
      const key = SigningKey.fromSecretKey(decodeBase64url(e.secretKey, 'sk', 64));
      const jwt = createEdDsaJwt(e.payload, key, e.kid);
      assert.equal(jwt, `${e.signed}.${e.signature}`);
      verifyEdDsaJwt(jwt, 'jwt');
      verifyEdDsaJwt(jwt, 'jwt', publicKey);
    } else {
      verifyEdDsaJwt(e.jwt, 'jwt', publicKey);
      assert.throws(() => verifyEdDsaJwt(e.jwt, 'jwt', decodeBase64url(e.wrongPublicKey, 'pk')), JwtError);
    }
  }
});

test('did:jlinc <-> did:key pairs map both ways and name the same key', () => {
  for (const [jlinc, key] of v.didKeyMapping.pairs) {
    assert.equal(didJlincToDidKey(jlinc), key);
    assert.equal(didKeyToDidJlinc(key), jlinc);
    assert.ok(publicKeyFromDid(jlinc).equals(publicKeyFromDid(key)));
    assert.ok(key.startsWith('did:key:z6Mk'));
    assert.deepEqual(didDocument(jlinc).alsoKnownAs, [key]);
    assert.deepEqual(didDocument(key).alsoKnownAs, [jlinc]);
  }
});

test('didserver registration signature: Ed25519 over SHA-256(id + "." + created)', () => {
  const d = v.didServer.registerSignatureVector;
  const publicKey = publicKeyFromDid(d.did);
  assert.equal(publicKey.toString('base64url'), d.signingPublicKey);
  verifyHash(sha256(`${d.did}.${d.created}`).toString('base64url'), d.signature, publicKey, 'signature');
  assert.throws(
    () => verifyHash(sha256(`${d.did}.x`).toString('base64url'), d.signature, publicKey, 'signature'),
    JlincError,
  );
});
