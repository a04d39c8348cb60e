import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BotProcessCommand, BotProcessEvent, BotProcessPlan } from './botProcess.js';

/** The built child entry; `npm test` runs `tsc` first, so it is as new as the sources. */
export const botProcessPath = resolve('dist', 'spec', 'bot', 'botProcess.js');

/** How a child bot ended. */
export interface ChildBotExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** A bot running in a process (and process group) of its own: see `botProcess.ts`. */
export interface ChildBot {
  /** Every event it wrote so far, in order. */
  readonly events: BotProcessEvent[];
  /** Resolves when the process has ended and its output is closed. */
  readonly exited: Promise<ChildBotExit>;
  running(): boolean;
  /** Sends it a message from the owner. */
  say(text: string): void;
  /** Waits for an event `match` accepts (among those already seen too), or fails after `timeout` ms naming `what`. */
  next<T>(match: (event: BotProcessEvent) => T | undefined, what: string, timeout?: number): Promise<T>;
  /** Waits for a message from the bot matching `pattern`, and returns its text. */
  text(pattern: RegExp, timeout?: number): Promise<string>;
  /** SIGKILLs its process group: a power cut. */
  kill(): void;
  /** Stops the bot cleanly and waits for the process to end. */
  stop(): Promise<ChildBotExit>;
}

/** Child bots that have not ended, so that a failed test can end them. */
const live = new Set<ChildBot>();

/** Starts `botProcess.js` with a plan, detached in a process group of its own, without waiting for it. */
export function startChildBot(plan: BotProcessPlan): ChildBot {
  if (!existsSync(botProcessPath)) throw new Error(`${botProcessPath} is missing: build with \`npx tsc -p .\` first`);
  const child: ChildProcess = spawn(process.execPath, [botProcessPath, JSON.stringify(plan)], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the bot process did not start');
  const events: BotProcessEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let pending = '';
  let ended = false;
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop()!;
    // gramjs writes a line of its own at start; only the child's JSON lines are events.
    for (const line of lines) if (line.startsWith('{')) events.push(JSON.parse(line) as BotProcessEvent);
    for (const wake of waiters) wake();
  });
  // A dead child's stdin is no error of the test's.
  child.stdin!.on('error', () => {});

  const seenSoFar = () => `\nevents: ${events.map((event) => JSON.stringify(event)).join('\n')}\nstderr: ${stderr}`;
  const send = (command: BotProcessCommand) => child.stdin!.write(`${JSON.stringify(command)}\n`);
  const next = <T>(match: (event: BotProcessEvent) => T | undefined, what: string, timeout = 20_000) =>
    new Promise<T>((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < events.length; seen++) {
          const found = match(events[seen]!);
          if (found !== undefined) return done(() => resolve(found));
        }
        if (ended) done(() => reject(new Error(`the bot process ended before ${what}${seenSoFar()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what}${seenSoFar()}`))), timeout);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  const bot: ChildBot = {
    events,
    exited: new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        ended = true;
        live.delete(bot);
        for (const wake of waiters) wake();
        resolve({ code, signal, stderr });
      });
    }),
    running: () => !ended,
    say: (text) => send({ say: text }),
    next,
    text: (pattern, timeout) => next((event) => ('text' in event && pattern.test(event.text) ? event.text : undefined), `a message matching ${pattern}`, timeout),
    kill() {
      if (ended) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch (error) {
        // It may end on its own between the check and the signal.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
    stop() {
      send({ stop: true });
      return bot.exited;
    },
  };
  live.add(bot);
  return bot;
}

/** SIGKILLs every child bot that still runs, and waits for them. */
export async function killChildBots(): Promise<void> {
  const leftovers = [...live];
  for (const bot of leftovers) bot.kill();
  await Promise.all(leftovers.map((bot) => bot.exited));
}
