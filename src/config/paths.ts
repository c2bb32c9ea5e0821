import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/**
 * The package's root directory (where package.json and drizzle/ live), found by walking up from
 * this file. Sources run from src/ under Jest and from dist/src/ when built, so a fixed relative
 * path would be wrong in one of them.
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'drizzle'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the nps-dialer package root (package.json next to drizzle/)');
    dir = parent;
  }
}

export function resolveFromRoot(...segments: string[]): string {
  return path.join(packageRoot(), ...segments);
}
