export * from './database.js';
export * from './migrate.js';
export * from './checkpointer.js';
export * from './compiled.js';
