import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { acquireRunLock } from '../../src/state/runLock.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('acquireRunLock', () => {
  let workspace: Workspace;
  let locks: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    locks = join(workspace.state, 'locks');
    await mkdir(locks, { recursive: true });
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('refuses a lock held by a live run', async () => {
    const release = await acquireRunLock(join(locks, 'a.lock'), 'a.zip');
    const other = { pid: process.ppid, started: null, since: 'now' };
    await release();
    await writeFile(join(locks, 'a.lock'), JSON.stringify(other));
    await expect(acquireRunLock(join(locks, 'a.lock'), 'a.zip')).rejects.toThrow(ConfigError);
  });

  it('takes over the lock of a dead run, and clears what a run killed mid-takeover left beside it', async () => {
    const dead = deadPid();
    await writeFile(join(locks, 'a.lock'), JSON.stringify({ pid: dead, started: null, since: 'then' }));
    // A run killed between renaming a dead lock aside and removing it left this.
    await writeFile(join(locks, `a.lock.${dead}.dead`), JSON.stringify({ pid: 1, started: null, since: 'then' }));
    // Another lock's leftovers, and a live run's aside file, are not this lock's to clear.
    await writeFile(join(locks, `b.lock.${dead}.dead`), '{}');
    await writeFile(join(locks, `a.lock.${process.ppid}.dead`), '{}');
    const release = await acquireRunLock(join(locks, 'a.lock'), 'a.zip');
    expect((await readdir(locks)).sort()).toEqual(['a.lock', `a.lock.${process.ppid}.dead`, `b.lock.${dead}.dead`].sort());
    await release();
    expect((await readdir(locks)).sort()).toEqual([`a.lock.${process.ppid}.dead`, `b.lock.${dead}.dead`].sort());
  });

  it('never lets one run release the lock another run of the same process holds on another archive', async () => {
    const releaseA = await acquireRunLock(join(locks, 'a.lock'), 'a.zip');
    const releaseB = await acquireRunLock(join(locks, 'b.lock'), 'b.zip');
    const [a, b] = await Promise.all([readFile(join(locks, 'a.lock'), 'utf8'), readFile(join(locks, 'b.lock'), 'utf8')]);
    expect(JSON.parse(a)).toMatchObject({ pid: process.pid, token: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(JSON.parse(a).token).not.toBe(JSON.parse(b).token);
    await releaseA();
    expect(await readdir(locks)).toEqual(['b.lock']);
    expect(await readFile(join(locks, 'b.lock'), 'utf8')).toBe(b);
    await releaseA();
    expect(await readdir(locks)).toEqual(['b.lock']);
    await releaseB();
    expect(await readdir(locks)).toEqual([]);
  });

  it('leaves the lock of the run that took it over alone when the run it was taken from releases it', async () => {
    const releaseFirst = await acquireRunLock(join(locks, 'a.lock'), 'a.zip');
    const first = await readFile(join(locks, 'a.lock'), 'utf8');
    // A second run of this process takes the lock over: the first one's token is no longer in it.
    const releaseSecond = await acquireRunLock(join(locks, 'a.lock'), 'a.zip');
    const second = await readFile(join(locks, 'a.lock'), 'utf8');
    expect(JSON.parse(second)).toMatchObject({ pid: process.pid });
    expect(JSON.parse(second).token).not.toBe(JSON.parse(first).token);
    await releaseFirst();
    expect(await readdir(locks)).toEqual(['a.lock']);
    expect(await readFile(join(locks, 'a.lock'), 'utf8')).toBe(second);
    await releaseSecond();
    expect(await readdir(locks)).toEqual([]);
  });
});
