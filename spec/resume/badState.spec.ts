import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manifestVersion } from '../../src/state/manifest.js';
import { archivePaths } from '../../src/state/stateDir.js';
import { type CliResult, runCli, sendArgs } from '../support/runCli.js';
import { pseudoRandomBytes } from '../support/sampleBytes.js';
import { writeTar } from '../support/tarFixtures.js';
import { createWorkspace, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { albumFolderCount, killLeftovers, startCli, waitForAlbums } from './cliProcess.js';
import { deliveryReport } from './deliveryReport.js';
import { type ArchiveKind, mixedFiles, writeArchive } from './mixedArchive.js';

const files = mixedFiles(40, 'bad-state');

/** The start time of a process as `src/state/runLock.ts` records it: field 22 of `/proc/<pid>/stat`. */
async function startTimeOf(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** Text that matches itself in a regular expression. */
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A pid that no process has: that of a process that has just ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

describe('unspool send over bad state', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await killLeftovers();
    await removeWorkspace(workspace);
  });

  const unspool = (archive: string, ...more: string[]) => runCli(sendArgs(archive, workspace.out, workspace.state, '--album-size', '5', ...more));
  /** As {@link unspool}, with a run that takes over 5 s (a hang) reported as exit `null`. */
  const unspoolOrHang = (archive: string): Promise<CliResult> =>
    runCli(sendArgs(archive, workspace.out, workspace.state, '--album-size', '5'), { timeout: 5_000 }).catch((error: Error) => ({
      code: null,
      stdout: '',
      stderr: error.message,
      summary: undefined,
    }));

  /**
   * Writes an archive (of `files`, unless `write` says otherwise) and runs it until the sink has
   * confirmed its second album, where the run dies (SIGKILL, before the checkpoint): a manifest of
   * work in progress, with an album in flight.
   *
   * @return The archive and where its state is.
   */
  async function interruptedRun(format: ArchiveKind = 'zip', write = (path: string) => writeArchive(format, path, files)) {
    const archive = join(workspace.root, `backup.${format}`);
    await write(archive);
    const cli = startCli(sendArgs(archive, workspace.out, workspace.state, '--album-size', '5'), { UNSPOOL_CRASH_AT: 'after-sink:2' });
    expect((await cli.exited).signal).toBe('SIGKILL');
    const paths = archivePaths(workspace.state, archive);
    expect(await albumFolderCount(workspace.out)).toBe(2);
    return { archive, paths };
  }

  /** Asserts a refusal: exit 2, one `unspool:` line of advice, and nothing written anywhere. */
  async function expectRefused(result: CliResult, manifestFile: string, manifestBefore: Buffer, advice: RegExp) {
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^unspool: [^\n]+\n$/);
    expect(result.stderr).toMatch(advice);
    expect(await readFile(manifestFile)).toEqual(manifestBefore);
    expect(await albumFolderCount(workspace.out)).toBe(2);
    expect(await readdir(join(workspace.state, 'locks'))).toEqual([]);
  }

  /** Asserts that a run with `--restart` delivers the whole archive, whatever the old manifest said. */
  async function expectRestartDelivers(archive: string, count: number) {
    const restarted = await unspool(archive, '--restart');
    expect(restarted.code).toBe(0);
    expect(restarted.summary).toMatchObject({ delivered: count, failed: [] });
  }

  describe('refuses a manifest it cannot trust, leaves it as it is, and --restart discards it', () => {
    it.each([
      ['cut in half', (text: string) => text.slice(0, Math.floor(text.length / 2)), /corrupt.*use --restart/],
      ['empty', () => '', /corrupt.*use --restart/],
      ['torn by zero bytes in the middle', (text: string) => `${text.slice(0, 60)}${'\0'.repeat(40)}${text.slice(100)}`, /corrupt.*use --restart/],
      ['JSON but not a manifest', () => '[1, 2, 3]\n', /not a whole unspool manifest.*use --restart/],
      ['written by a newer version', (text: string) => JSON.stringify({ ...JSON.parse(text), version: manifestVersion + 1 }), /newer unspool.*upgrade unspool/],
    ])('when the manifest is %s', async (_, tamper, advice) => {
      const { archive, paths } = await interruptedRun();
      await writeFile(paths.manifest, tamper(await readFile(paths.manifest, 'utf8')));
      const before = await readFile(paths.manifest);
      await expectRefused(await unspool(archive), paths.manifest, before, advice);
      await expectRestartDelivers(archive, files.length);
    });
  });

  // The manifest errors name the archive, as every other error does (`unspool: <archive>: …`): with
  // several archives in one state folder the manifest's hashed file name would not say which.
  it('names the archive in the error about a corrupt manifest', async () => {
    const { archive, paths } = await interruptedRun();
    await writeFile(paths.manifest, (await readFile(paths.manifest, 'utf8')).slice(0, 100));
    const result = await unspool(archive);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^unspool: ${escapeRegExp(archive)}: `));
  });

  // A manifest of the current version missing a field was once let through: without `archive` the
  // run crashed, without `delivered` it rewrote the manifest, without `nextIndex` it spun forever
  // in `Manifest.advance` (NaN never settles).
  it.each([
    ['no archive identity', (data: Record<string, unknown>) => ({ version: data.version })],
    ['no delivered ranges', ({ delivered: _, ...rest }: Record<string, unknown>) => rest],
    ['no next index', ({ nextIndex: _, ...rest }: Record<string, unknown>) => rest],
  ])('refuses with exit 2 a manifest of the current version with %s, leaving it as it is', async (_, tamper) => {
    const { archive, paths } = await interruptedRun();
    await writeFile(paths.manifest, JSON.stringify(tamper(JSON.parse(await readFile(paths.manifest, 'utf8')) as Record<string, unknown>)));
    const before = await readFile(paths.manifest);
    await expectRefused(await unspoolOrHang(archive), paths.manifest, before, /--restart/);
  });

  describe('refuses a different archive at the same path, and --restart delivers it', () => {
    /** The same names and sizes as `files`, other bytes: stored, an archive of them has the same size. */
    const lookalikes = files.map((file, i) => ({ name: file.name, data: pseudoRandomBytes(file.data.length, `other-${i}`), compress: false }));
    const stored = files.map((file) => ({ ...file, compress: false }));
    const others = mixedFiles(25, 'another');

    it.each([
      ['a zip of other files', 'zip', (path: string) => writeArchive('zip', path, files), (path: string) => writeArchive('zip', path, others), others.length],
      ['a zip of the same size, names and sizes, other bytes', 'zip', (path: string) => writeZip(path, stored), (path: string) => writeZip(path, lookalikes), files.length],
      ['a tar of the same size, names and sizes, other bytes', 'tar', (path: string) => writeTar(path, files).then(() => {}), (path: string) => writeTar(path, lookalikes).then(() => {}), files.length],
      ['a tar.gz of other files', 'tar.gz', (path: string) => writeArchive('tar.gz', path, files), (path: string) => writeArchive('tar.gz', path, others), others.length],
    ] as const)('replaced by %s', async (description, format, write, replace, count) => {
      const { archive, paths } = await interruptedRun(format, write);
      const sizeBefore = (await stat(archive)).size;
      await replace(archive);
      if (description.includes('same size')) expect((await stat(archive)).size).toBe(sizeBefore);
      const before = await readFile(paths.manifest);
      const result = await unspool(archive);
      await expectRefused(result, paths.manifest, before, /not the archive that was being delivered.*use --restart to start it over/);
      expect(result.stderr.startsWith(`unspool: ${archive}: `)).toBe(true);
      await expectRestartDelivers(archive, count);
    });
  });

  describe('the run lock', () => {
    /** Writes the lock of an archive as `src/state/runLock.ts` does. */
    async function writeLock(archive: string, pid: number, started: string | null): Promise<string> {
      const { lock } = archivePaths(workspace.state, archive);
      await mkdir(join(lock, '..'), { recursive: true });
      await writeFile(lock, JSON.stringify({ pid, started, since: '2026-01-01T00:00:00.000Z' }));
      return lock;
    }

    it('takes over a lock left by a run whose process is gone', async () => {
      const archive = join(workspace.root, 'backup.zip');
      await writeArchive('zip', archive, files);
      const lock = await writeLock(archive, await deadPid(), '12345');
      const result = await unspool(archive);
      expect(result.code).toBe(0);
      expect(result.summary).toMatchObject({ delivered: files.length });
      expect(await readdir(join(lock, '..'))).toEqual([]);
    });

    it('takes over a lock whose pid now belongs to another process', async () => {
      const archive = join(workspace.root, 'backup.zip');
      await writeArchive('zip', archive, files);
      const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        const started = await startTimeOf(sleeper.pid!);
        await writeLock(archive, sleeper.pid!, String(Number(started) - 1));
        const result = await unspool(archive);
        expect(result.code).toBe(0);
        expect(result.summary).toMatchObject({ delivered: files.length });
      } finally {
        sleeper.kill('SIGKILL');
      }
    });

    it('refuses with exit 2 while the process that holds the lock is alive, and leaves its lock alone', async () => {
      const archive = join(workspace.root, 'backup.zip');
      await writeArchive('zip', archive, files);
      const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        const lock = await writeLock(archive, sleeper.pid!, await startTimeOf(sleeper.pid!));
        const before = await readFile(lock);
        const result = await unspool(archive);
        expect(result.code).toBe(2);
        expect(result.stderr).toBe(`unspool: ${archive}: another unspool run (pid ${sleeper.pid}, since 2026-01-01T00:00:00.000Z) is delivering this archive\n`);
        expect(await readFile(lock)).toEqual(before);
        expect(await albumFolderCount(workspace.out)).toBe(0);
        expect(await readdir(workspace.state)).toEqual(['locks']);
      } finally {
        sleeper.kill('SIGKILL');
      }
    });

    it('refuses a second run while a real run is delivering the same archive, which then finishes alone', async () => {
      const archive = join(workspace.root, 'backup.zip');
      const many = mixedFiles(200, 'bad-state-live');
      await writeArchive('zip', archive, many);
      const first = startCli(sendArgs(archive, workspace.out, workspace.state, '--album-size', '5'));
      expect(await waitForAlbums(first, workspace.out, 1)).toBe(true);
      // Stopped, it holds its lock for as long as the second run takes.
      first.killGroup('SIGSTOP');
      const second = await unspool(archive);
      first.killGroup('SIGCONT');
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(new RegExp(`^unspool: ${escapeRegExp(archive)}: another unspool run \\(pid ${first.pid}, since [^)]+\\) is delivering this archive\\n$`));
      const done = await first.exited;
      expect(done.code).toBe(0);
      const report = await deliveryReport(workspace.out, many, 5);
      expect({ duplicated: report.duplicated, missing: report.missing, wrongBytes: report.wrongBytes }).toEqual({ duplicated: [], missing: [], wrongBytes: [] });
      expect((await readAlbums(workspace.out)).length).toBe(JSON.parse(done.stdout.trim().split('\n').at(-1)!).albums);
    });
  });
});
