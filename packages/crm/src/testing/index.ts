export * from './api.js';
export * from './databases.js';
export * from './fixtures.js';
