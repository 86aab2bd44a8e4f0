import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package's own copy of the public vectors (test/vectors), so tests run without ../shared. */
export const VECTOR_DIR = fileURLToPath(new URL('../../test/vectors/', import.meta.url));
/** The team's shared copy, beside the repository, when present. */
export const SHARED_VECTOR_DIR = fileURLToPath(new URL('../../../../../shared/vectors/', import.meta.url));

export function readVector<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(VECTOR_DIR + name, 'utf8')) as T;
}

export function sharedVectorText(name: string): string | undefined {
  const path = SHARED_VECTOR_DIR + name;
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
