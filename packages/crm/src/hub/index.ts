export * from './migrations.js';
export * from './outbox.js';
export * from './routes.js';
export * from './delivery.js';
