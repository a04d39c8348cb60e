import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Summary } from '../../src/summary.js';

/** The built CLI; `npm test` runs `tsc` first, so it is as new as the sources. */
export const cliPath = resolve('dist', 'src', 'cli', 'main.js');

/** What a run of the CLI did, as a user sees it. */
export interface CliResult {
  /** The exit code; `null` if a signal ended the process. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The last stdout line parsed as JSON, if it is JSON (the `--json` summary). */
  readonly summary: Summary | undefined;
}

/** Options of {@link runCli}. */
export interface CliOptions {
  /** Variables added to the environment (`TMPDIR`, …). */
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the process after this many milliseconds: a hang fails the test instead of stalling it. */
  readonly timeout?: number;
}

function lastJsonLine(stdout: string): Summary | undefined {
  const last = stdout.trimEnd().split('\n').at(-1);
  try {
    return last ? (JSON.parse(last) as Summary) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `node dist/src/cli/main.js …args` and collects its exit code and output.
 *
 * @throws Error if the CLI is not built, or if it runs past `timeout` (default 30 s).
 */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: build with \`npx tsc -p .\` first`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`unspool ${args.join(' ')} did not finish in ${options.timeout ?? 30_000} ms; stderr: ${stderr.slice(-500)}`));
    }, options.timeout ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, summary: lastJsonLine(stdout) });
    });
  });
}

/** `unspool send <archive> --to dir:<out> --state <state> --json`, plus any further options. */
export function sendArgs(archive: string, out: string, state: string, ...more: string[]): string[] {
  return ['send', archive, '--to', `dir:${out}`, '--state', state, '--json', '--min-free', '1MB', ...more];
}
