export * from './tmf/schemas.js';
export * from './tmf/resource.js';
export * from './tmf/merge-patch.js';
export * from './tenant/keys.js';
export * from './http/app.js';
export * from './http/problem.js';
export * from './migrations.js';
export * from './tenant/bootstrap.js';
