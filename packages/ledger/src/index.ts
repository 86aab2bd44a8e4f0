export * from './errors.js';
export * from './rfc6962.js';
export * from './proof/verify.js';
