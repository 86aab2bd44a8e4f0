export * from './witness.js';
export * from './sql-state.js';
