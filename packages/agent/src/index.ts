export * from './vault/envelope.js';
export * from './vault/vault.js';
