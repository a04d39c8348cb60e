import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';

/**
 * What a lock file holds: enough to tell whether the run that wrote it is still alive, and which
 * run of its process it is.
 */
interface LockRecord {
  readonly pid: number;
  /** The process's start time from /proc (Linux, Android), so a recycled pid is not taken for it. */
  readonly started: string | null;
  readonly since: string;
  /**
   * Random, one per acquisition: the bot runs several jobs in one process, so the pid alone cannot
   * tell a run's own lock from one another run took over. Absent in locks of versions before it.
   */
  readonly token?: string;
}

/** The start time of a process, from /proc/<pid>/stat (field 22), where the system has one. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after it are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the run that wrote a lock record is still running. */
export function isAlive(record: LockRecord): boolean {
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = startTimeOf(record.pid);
  return record.started === null || started === null || started === record.started;
}

/** Reads a lock file; `undefined` if there is none or it is unreadable (a torn write of a dead run). */
export async function readLock(file: string): Promise<LockRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockRecord;
  } catch {
    return undefined;
  }
}

/**
 * Removes a dead run's lock so that it can be taken. The file is first renamed to a name of this
 * process's own, which only one of two racing runs can do to the same file, and then checked: if
 * it is not the dead lock that was read (another run took the lock in between), it is put back.
 */
async function takeAway(file: string, dead: LockRecord | undefined): Promise<void> {
  const aside = `${file}.${process.pid}.dead`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const taken = await readLock(aside);
  if (dead && taken && (taken.pid !== dead.pid || taken.since !== dead.since || taken.token !== dead.token)) await rename(aside, file);
  else await rm(aside, { force: true });
}

/** Whether a process exists (or exists under another user). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what a run killed in the middle of {@link takeAway} left: its `<lock>.<pid>.dead` file.
 * Only files of runs no longer alive go; a live one may be about to put its file back.
 */
async function removeDeadTakeovers(file: string): Promise<void> {
  const prefix = `${basename(file)}.`;
  for (const name of await readdir(dirname(file)).catch(() => [] as string[])) {
    const pid = name.startsWith(prefix) && name.endsWith('.dead') ? Number(name.slice(prefix.length, -'.dead'.length)) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !processExists(pid)) await rm(join(dirname(file), name), { force: true });
  }
}

/**
 * Takes the lock of one archive's state, so that two runs never work on the same archive at once.
 * A lock left by a dead run (its pid gone, or reused by another process) is taken over, and so is
 * one of this process's own. Each acquisition writes a token of its own into the file, and the
 * release removes the file only while it still holds that token: a run whose lock was taken over
 * leaves the new owner's alone, whichever process or job that is.
 *
 * @param file The lock file, `<state>/locks/<archive-id>.lock`.
 * @param archive The archive's name, for the message.
 * @return A function that releases the lock.
 * @throws ConfigError when a live run holds it.
 */
export async function acquireRunLock(file: string, archive: string): Promise<() => Promise<void>> {
  await mkdir(dirname(file), { recursive: true });
  const record: LockRecord = { pid: process.pid, started: startTimeOf(process.pid), since: new Date().toISOString(), token: randomUUID() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, JSON.stringify(record), { flag: 'wx' });
      await removeDeadTakeovers(file);
      return async () => {
        const current = await readLock(file);
        if (current?.token === record.token) await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readLock(file);
      if (holder && holder.pid !== process.pid && isAlive(holder)) {
        throw new ConfigError(`${archive}: another unspool run (pid ${holder.pid}, since ${holder.since}) is delivering this archive`);
      }
      await takeAway(file, holder);
    }
  }
  throw new ConfigError(`${archive}: cannot take the lock ${file}`);
}
