import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * Vitest's global setup: type-checks and builds `dist/` once, before any spec runs, so the specs
 * that run the built CLI (`dist/src/cli/main.js`) never test a stale build, even after a bare
 * `npx vitest`. A type error fails the run here, with tsc's own output.
 */
export default function buildOnce(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
