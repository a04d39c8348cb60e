import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { vi } from 'vitest';
import { cliPath } from '../support/runCli.js';

/** How a CLI process ended. */
export interface CliExit {
  /** The exit code; `null` when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI process running in a process group of its own, as a shell job would. */
export interface CliProcess {
  readonly pid: number;
  /** Resolves when the process has ended and its output is closed. */
  readonly exited: Promise<CliExit>;
  /** Whether it is still running. */
  running(): boolean;
  /** What it has written so far. */
  output(): { readonly stdout: string; readonly stderr: string };
  /** Sends a signal to the whole process group: a power cut for SIGKILL, Ctrl-C for SIGINT. */
  killGroup(signal: NodeJS.Signals): void;
  /** Sends a signal to the process alone, as `kill <pid>` does. */
  kill(signal: NodeJS.Signals): void;
}

/** Every process started by {@link startCli} that has not ended, so that a failed test can end them. */
const live = new Set<CliProcess>();

/**
 * Starts `node dist/src/cli/main.js …args` detached, in a process group of its own, without waiting
 * for it. The environment is the test's, plus `env`.
 *
 * @param args The CLI's arguments.
 * @param env Variables to add (`UNSPOOL_CRASH_AT`, `TMPDIR`, …).
 * @param script The built script to run instead of the CLI (a child entry of a spec).
 */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, script = cliPath): CliProcess {
  if (!existsSync(script)) throw new Error(`${script} is missing: build with \`npx tsc -p .\` first`);
  const child: ChildProcess = spawn(process.execPath, [script, ...args], {
    detached: true,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the CLI did not start');
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  let ended = false;
  const signalGroup = (signal: NodeJS.Signals, target: number) => {
    if (ended) return;
    try {
      process.kill(target, signal);
    } catch (error) {
      // It may end on its own between the check and the signal.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  const cli: CliProcess = {
    pid,
    exited: new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        ended = true;
        live.delete(cli);
        resolve({ code, signal, stdout, stderr });
      });
    }),
    running: () => !ended,
    output: () => ({ stdout, stderr }),
    killGroup: (signal) => signalGroup(signal, -pid),
    kill: (signal) => signalGroup(signal, pid),
  };
  live.add(cli);
  return cli;
}

/** SIGKILLs every process that {@link startCli} started and that still runs, and waits for them. */
export async function killLeftovers(): Promise<void> {
  const leftovers = [...live];
  for (const cli of leftovers) cli.killGroup('SIGKILL');
  await Promise.all(leftovers.map((cli) => cli.exited));
}

/** The numbered album folders (`000001`, …) in a folder sink's root; none if it does not exist. */
export async function albumFolderCount(out: string): Promise<number> {
  const names = await readdir(out).catch(() => [] as string[]);
  return names.filter((name) => /^\d{6,}$/.test(name)).length;
}

/**
 * Waits until the folder sink holds at least `count` album folders, polling every few
 * milliseconds, or until the process ends.
 *
 * @return Whether the count was reached while the process still ran.
 * @throws Error after `timeout` milliseconds (default 20 000).
 */
export async function waitForAlbums(cli: CliProcess, out: string, count: number, timeout = 20_000): Promise<boolean> {
  return vi.waitFor(async () => {
    if (!cli.running()) return false;
    if ((await albumFolderCount(out)) >= count) return cli.running();
    throw new Error(`no ${count} album folders in ${out} after ${timeout} ms`);
  }, { timeout, interval: 3 });
}
