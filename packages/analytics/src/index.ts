export * from './special.js';
export * from './linalg.js';
export * from './km.js';
export * from './logrank.js';
export * from './cox.js';
export * from './concordance.js';
export * from './kmeans.js';
