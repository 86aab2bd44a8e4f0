/** Standard base64 (RFC 4648 section 4) with padding, canonical only: what C2SP notes and checkpoints use. */
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes of `text`, or undefined if it is not canonical padded standard base64. Node's own decoder skips
 * unknown characters and ignores non-zero trailing bits, so two different strings could decode to the same
 * bytes: the re-encoding check makes the encoding one-to-one.
 */
export function decodeBase64Std(text: string): Buffer | undefined {
  if (!STD_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

export function encodeBase64Std(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
