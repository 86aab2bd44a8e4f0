export * from './signed-note.js';
export * from './checkpoint.js';
export * from './cosignature.js';
export { decodeBase64Std, encodeBase64Std } from './base64.js';
