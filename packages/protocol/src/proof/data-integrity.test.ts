import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readVector } from '../testing/vectors.js';
import { decodeMultikey, MULTICODEC_ED25519_PRIV, MULTICODEC_ED25519_PUB } from '../encoding/multibase.js';
import { SigningKey } from '../crypto/ed25519.js';
import { signDocument, verifyDocument } from './data-integrity.js';
import { ProofError } from '../errors.js';
import { Party } from '../identity/party.js';
import { verificationMethodId } from '../identity/did.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const vector = readVector<any>('jlinc.json').vcDataIntegrityEddsaJcs2022;

/** The unsigned document and proof options of w3c/vc-di-eddsa TestVectors/eddsa-jcs-2022 (the AlumniCredential). */
const CONTEXT = ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'];
const credential = {
  '@context': CONTEXT,
  id: 'urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33',
  type: ['VerifiableCredential', 'AlumniCredential'],
  name: 'Alumni Credential',
  description: 'A minimum viable example of an Alumni Credential.',
  issuer: 'https://vc.example/issuers/5678',
  validFrom: '2023-01-01T00:00:00Z',
  credentialSubject: { id: 'did:example:abcdefgh', alumniOf: 'The School of Examples' },
};
const verificationMethod = `https://vc.example/issuers/5678#${vector.publicKeyMultibase}`;

test('eddsa-jcs-2022 W3C vector: our signature equals the published one, byte for byte', () => {
  const seed = decodeMultikey(vector.privateKeyMultibase, MULTICODEC_ED25519_PRIV, 32, 'privateKeyMultibase');
  const key = SigningKey.fromSeed(seed);
  const publicKey = decodeMultikey(
    vector.publicKeyMultibase,
    MULTICODEC_ED25519_PUB,
    32,
    'publicKeyMultibase',
  );
  assert.ok(key.publicKey.equals(publicKey));
  const signed = signDocument(credential, key, { verificationMethod, created: '2023-02-24T23:36:38Z' });
  assert.equal(signed.proof.proofValue, vector.proofValue);
  assert.equal(verifyDocument(signed, { publicKey }), 'https://vc.example/issuers/5678');
});

test('eddsa-jcs-2022 W3C vector: any change to the document or proof options fails', () => {
  const publicKey = decodeMultikey(vector.publicKeyMultibase, MULTICODEC_ED25519_PUB, 32, 'pk');
  const signed = {
    ...credential,
    proof: {
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-jcs-2022',
      created: '2023-02-24T23:36:38Z',
      verificationMethod,
      proofPurpose: 'assertionMethod',
      '@context': CONTEXT,
      proofValue: vector.proofValue,
    },
  };
  verifyDocument(signed, { publicKey });
  const altered = [
    { ...signed, name: 'Alumni Credential!' },
    { ...signed, proof: { ...signed.proof, created: '2023-02-24T23:36:39Z' } },
    { ...signed, proof: { ...signed.proof, proofPurpose: 'authentication' } },
    { ...signed, credentialSubject: { ...signed.credentialSubject, extra: 1 } },
  ];
  for (const doc of altered) assert.throws(() => verifyDocument(doc, { publicKey }), ProofError);
  // Member order does not matter: JCS sorts.
  const reordered = Object.fromEntries(Object.entries(signed).reverse());
  verifyDocument(reordered, { publicKey });
});

test('a DID-signed document verifies from its verification method alone', () => {
  const party = Party.generate();
  const signed = signDocument({ hello: 'world' }, party.key, {
    verificationMethod: verificationMethodId(party.did),
  });
  assert.equal(verifyDocument(signed), party.did);
  const other = Party.generate();
  const forged = {
    ...signed,
    proof: { ...signed.proof, verificationMethod: verificationMethodId(other.did) },
  };
  assert.throws(() => verifyDocument(forged), ProofError);
});
