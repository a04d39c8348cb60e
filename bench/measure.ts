import { spawn, spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processTree, processTreeSampler, type TreeMemory } from './processTree.js';

/** A program to run and measure. */
export interface Command {
  readonly command: string;
  readonly args: readonly string[];
  /** Variables added to the environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Options of {@link measure}. */
export interface MeasureConfig {
  /**
   * Called about every 10 ms with the milliseconds since the spawn, never twice at once (for
   * polling folders). Returning `true` stops the process with SIGTERM. Default: none.
   */
  onTick?: ((elapsedMs: number) => boolean | void | Promise<boolean | void>) | undefined;
  /** Wrap the command in GNU time (`/usr/bin/time`) for CPU time and a second reading of peak RSS. Default: none. */
  timeWrapper?: string | undefined;
  /** Kill the process (SIGKILL) after this many milliseconds. Default: 600 000. */
  timeoutMs?: number | undefined;
}

/** What one run of a command took. */
export interface Measurement {
  /** From spawn to exit, in milliseconds. */
  readonly wallMs: number;
  /** Peak RSS from polling `/proc` every 20 ms (see {@link processTreeSampler}). */
  readonly memory: TreeMemory;
  /** From GNU time: `ru_maxrss` in bytes (the largest single process of the tree) and CPU seconds of the whole tree. */
  readonly rusage?: { readonly maxRssBytes: number; readonly userSeconds: number; readonly systemSeconds: number };
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** When `onTick` asked for the stop, in milliseconds since the spawn. */
  readonly stoppedAtMs?: number;
}

const rssEvery = 20;
const tickEvery = 10;

/**
 * Runs a command to its end and measures it: wall time, peak RSS of its process tree from `/proc`
 * every 20 ms, and (with `timeWrapper`) GNU time's CPU seconds and `ru_maxrss` as a cross-check. Stdout and stderr
 * are collected. The polling happens in this process, which is otherwise idle, so it takes little
 * from the command under test.
 *
 * @param command The program, its arguments and extra environment.
 * @param config A tick callback for polling and stopping, the GNU time wrapper, a timeout.
 */
export async function measure(command: Command, config: MeasureConfig = {}): Promise<Measurement> {
  const timeFile = join(tmpdir(), `unspool-bench-time-${process.pid}-${Date.now()}`);
  const wrapped = config.timeWrapper !== undefined;
  const [file, args] = wrapped
    ? [config.timeWrapper!, ['-f', '%M %U %S', '-o', timeFile, command.command, ...command.args]]
    : [command.command, [...command.args]];
  const started = performance.now();
  const child = spawn(file, args, { env: { ...process.env, ...command.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const sampler = processTreeSampler(child.pid!, wrapped);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve([code, signal]));
  });
  let running = true;
  let stoppedAtMs: number | undefined;
  sampler.sample();
  const rssTimer = setInterval(() => sampler.sample(), rssEvery);
  const timeout = setTimeout(() => {
    for (const pid of processTree(child.pid!).reverse()) process.kill(pid, 'SIGKILL');
  }, config.timeoutMs ?? 600_000);
  const ticking = (async () => {
    while (running && config.onTick) {
      const stop = await config.onTick(performance.now() - started);
      if (stop && running && stoppedAtMs === undefined) {
        stoppedAtMs = performance.now() - started;
        sampler.sample();
        // With the GNU time wrapper the command is its child; time itself would not pass SIGTERM on.
        process.kill(wrapped ? (processTree(child.pid!)[1] ?? child.pid!) : child.pid!, 'SIGTERM');
      }
      await new Promise((resolve) => setTimeout(resolve, tickEvery));
    }
  })();
  const [code, signal] = await exited;
  const wallMs = performance.now() - started;
  running = false;
  clearInterval(rssTimer);
  clearTimeout(timeout);
  await ticking;
  let rusage: Measurement['rusage'];
  if (wrapped) {
    // A command that exits non-zero gets a line of its own before the numbers.
    const [kib, user, system] = (await readFile(timeFile, 'utf8').catch(() => '')).trim().split('\n').at(-1)!.split(' ').map(Number);
    if (kib && user !== undefined && system !== undefined) rusage = { maxRssBytes: kib * 1024, userSeconds: user, systemSeconds: system };
    await rm(timeFile, { force: true });
  }
  return {
    wallMs,
    memory: sampler.result(),
    ...(rusage ? { rusage } : {}),
    code,
    signal,
    stdout,
    stderr,
    ...(stoppedAtMs !== undefined ? { stoppedAtMs } : {}),
  };
}

/**
 * Writes every dirty page out (`sync`), so that the write-back of one run is not charged to the
 * next: a run's first `fsync` otherwise waits for the gigabyte the previous run left in the page
 * cache. Call it before starting the clock.
 */
export function flushWrites(): void {
  spawnSync('sync');
}
