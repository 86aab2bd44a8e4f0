import { Command } from 'commander';
import { parseStrictJson, verifyConsentReceipt } from '@parley/protocol';
import { describeError, printJson, readText } from '../io.js';

export function receiptCommand(): Command {
  const receipt = new Command('receipt').description(
    'Kantara consent receipts (KI-CR-v1.1.0) signed by a PII controller',
  );
  receipt
    .command('verify')
    .description(
      'Verify a consent receipt offline: the EdDSA signature with the key its kid DID names, and every field ' +
        'KI-CR-v1.1.0 requires. FILE holds the compact JWS, or a JSON object with it under "receipt" or "jws". ' +
        'Prints one JSON line; exit status 0 when valid, 1 when not.',
    )
    .argument('<file>', 'the receipt file')
    .option('--signer <did>', 'also require that this DID (the PII controller) signed it')
    .action((file: string, options: { signer?: string }) => {
      try {
        const text = readText(file).trim();
        let jws = text;
        if (text.startsWith('{')) {
          const wrapper = parseStrictJson(text, { field: 'file' }) as Record<string, unknown>;
          jws = String(wrapper.receipt ?? wrapper.jws ?? '');
        }
        const { receipt: r, signer } = verifyConsentReceipt(jws, options.signer);
        printJson({
          valid: true,
          type: r.version,
          consentReceiptID: r.consentReceiptID,
          signer,
          piiPrincipalId: r.piiPrincipalId,
          event: r.parley?.event,
        });
      } catch (error) {
        printJson({ valid: false, error: describeError(error) });
        process.exitCode = 1;
      }
    });
  return receipt;
}
