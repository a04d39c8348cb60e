import { createCipheriv, createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ManifestData } from '../../src/state/manifest.js';
import { collectSevenZip } from '../../src/sources/sevenZip/sevenZipRun.js';
import { parseSevenZipListing } from '../../src/sources/sevenZip/sevenZipListing.js';
import { archivePaths } from '../../src/state/stateDir.js';
import type { Summary } from '../../src/summary.js';
import { deliveredOnce, deliveryReport, journalLines, neverWrong } from '../resume/deliveryReport.js';
import { albumFolderCount, type CliExit, type CliProcess, killLeftovers, startCli, waitForAlbums } from '../resume/cliProcess.js';
import type { ArchivedFile } from '../resume/mixedArchive.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { jpegBytes, mp4Bytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeSevenZip } from './sevenZipFixtures.js';

/**
 * The built CLI reading 7z archives through 7-Zip in a worker thread, killed with SIGKILL in the
 * middle of a solid block and stopped with SIGINT and SIGTERM while a pass runs (7-Zip waiting on
 * its full ring, or busy in its decoder): the next run delivers every file exactly once, byte for
 * byte, and leaves no temp file; a signal ends the process within 2 s (measured from the signal to
 * its end), with the plain "stopped by" line, not the one of a pipeline that would not let go.
 */

/** The promise: from the signal to the exit. */
const promised = 2_000;
/** How long a run that does not stop is waited for, so that the failure says so and is quick. */
const patience = 6_000;
const albumSize = 2;

/**
 * Incompressible, deterministic bytes behind a file type's signature, made fast (AES-CTR of
 * zeros: `pseudoRandomBytes` hashes every 32 bytes, seconds for tens of megabytes).
 */
function incompressible(length: number, seed: string, make: typeof jpegBytes): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const bytes = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
  // The signature alone (the maker's random tail is empty at 12 bytes).
  make(12, seed).copy(bytes);
  return bytes;
}

/**
 * `count` photos (and every 4th a video: the same album group) in `folder`, from `least` to
 * `least + spread` bytes each, incompressible.
 */
function camera(count: number, seed: string, least: number, spread: number, folder = 'DCIM'): ArchivedFile[] {
  return Array.from({ length: count }, (_, i) => {
    const video = i % 4 === 3;
    const data = incompressible(least + ((i * 37_493) % spread), `${seed}-${i}`, video ? mp4Bytes : jpegBytes);
    return { name: `${folder}/${video ? 'MOV' : 'IMG'}_${String(i).padStart(4, '0')}.${video ? 'mp4' : 'jpg'}`, data, sha256: sha256(data) };
  });
}

/** A 7z built once for the whole file, copied into each test's workspace. */
interface Fixture {
  readonly path: string;
  readonly files: ArchivedFile[];
}

/** 7-Zip's ring of output in flight (`SevenZipRunOptions.inFlight`'s default). */
const ring = 4 * 1024 * 1024;

/** 7-Zip's own account of an archive: `Solid` and `Blocks`. */
async function blocksOf(archive: string): Promise<{ solid: string | undefined; blocks: string | undefined }> {
  const name = basename(archive);
  const result = await collectSevenZip({ volumes: [{ name, size: (await stat(archive)).size, path: archive }], args: ['l', '-slt', name, '-p', '-y', '-bsp0'] });
  const listing = parseSevenZipListing(result.stdout.toString('utf8'));
  return { solid: listing?.archive['Solid'], blocks: listing?.archive['Blocks'] };
}

/** Waits until a temp file of the run holds more than `least` bytes and less than `most`: an entry part written. */
async function partWritten(cli: CliProcess, tmp: string, least: number, most: number): Promise<void> {
  await vi.waitFor(async () => {
    if (!cli.running()) throw new Error(`the run ended first: ${JSON.stringify(cli.output())}`);
    for (const name of await readdir(tmp).catch(() => [] as string[])) {
      const size = await stat(join(tmp, name)).then((info) => info.size, () => 0);
      if (size > least && size < most) return;
    }
    throw new Error(`no temp file of ${least}–${most} bytes in ${tmp}`);
  }, { timeout: 30_000, interval: 2 });
}

/** The manifest as a killed run left it, if there is one; it must always be whole JSON. */
async function readManifest(file: string): Promise<ManifestData | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as ManifestData);
}

/** The indexes a manifest records as delivered. */
const deliveredIndexes = (manifest: ManifestData | undefined): number[] =>
  (manifest?.delivered ?? []).flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i));

/** Sends `signal` to the process and waits for its end: how it ended, and the milliseconds from the signal to the end. */
async function stop(cli: CliProcess, signal: NodeJS.Signals): Promise<{ exit: CliExit; elapsed: number }> {
  const start = performance.now();
  cli.kill(signal);
  const exit = await Promise.race([cli.exited, sleep(patience).then(() => undefined)]);
  const elapsed = performance.now() - start;
  if (!exit) throw new Error(`still running ${patience} ms after ${signal}: ${JSON.stringify(cli.output())}`);
  return { exit, elapsed };
}

/** One interrupted run. */
type Kill =
  /** `UNSPOOL_CRASH_AT`: the process SIGKILLs itself at that point, 7-Zip being in the middle of the block. */
  | { readonly kind: 'crash-point'; readonly at: (remaining: number) => string }
  /** SIGKILL from outside `delay` ms after `albums` more album folders appeared. */
  | { readonly kind: 'mid-run'; readonly albums: number; readonly delay: number };

/** Stop timings measured and the runs killed, printed once at the end. */
const timings: string[] = [];

describe('a 7z run killed and stopped by signals (built CLI)', () => {
  let fixtures: Workspace;
  /** One solid LZMA2 block of 20 files, ~7 MB: more than 7-Zip's ring, so 7-Zip is in the block while the first albums go out. */
  let solid: Fixture;
  /** 12 files in blocks of their own. */
  let nonSolid: Fixture;
  /** Stored: 3 photos, a 32 MB video, 3 photos (7-Zip's output outruns the writing of the video's temp file). */
  let big: Fixture;
  const bigSize = 32 * 1024 * 1024;
  /** Solid PPMd, which decodes random bytes at about 1 MB/s: a photo, then a 2 MB one that 7-Zip is busy decoding, its output drained at once. */
  let slow: Fixture;
  const slowSize = 2 * 1024 * 1024;

  beforeAll(async () => {
    fixtures = await createWorkspace();
    const build = async (name: string, files: ArchivedFile[], switches: string[]): Promise<Fixture> => {
      const [path] = await writeSevenZip(fixtures.root, name, files, switches);
      return { path: path!, files };
    };
    // `-mx=1`: still LZMA2, and quicker to build.
    solid = await build('solid.7z', camera(20, 'solid', 250_000, 200_000), ['-ms=on', '-mx=1']);
    nonSolid = await build('non-solid.7z', camera(24, 'non-solid', 100_000, 200_000), ['-ms=off', '-mx=1']);
    const video = incompressible(bigSize, 'big', mp4Bytes);
    big = await build(
      'big.7z',
      [...camera(3, 'before', 100_000, 100_000, 'DCIM/a'), { name: 'DCIM/b/MOV_BIG.mp4', data: video, sha256: sha256(video) }, ...camera(3, 'after', 100_000, 100_000, 'DCIM/c')],
      ['-m0=Copy'],
    );
    slow = await build('slow.7z', [...camera(1, 'slow', 50_000, 1), ...camera(1, 'slow-big', slowSize, 1, 'DCIM/z')], ['-ms=on', '-m0=PPMd:mem=16m:o=2']);
  }, 60_000);

  afterAll(async () => {
    await removeWorkspace(fixtures);
  });

  let workspace: Workspace;
  /** The CLI's `$TMPDIR`: temp files belong in `<state>/tmp`, so this must stay empty. */
  let osTmp: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    workspace = await createWorkspace();
    osTmp = join(workspace.root, 'os-tmp');
    await mkdir(osTmp);
    env = { TMPDIR: osTmp, TMP: osTmp, TEMP: osTmp };
  });

  afterEach(async () => {
    await killLeftovers();
    await removeWorkspace(workspace);
  });

  afterAll(() => {
    if (timings.length > 0) console.log(`7z runs: ${timings.join('\n')}`);
  });

  /** Copies a fixture into the workspace, as `name`: the archive the CLI is given. */
  async function placed(fixture: Fixture, name: string): Promise<string> {
    const archive = join(workspace.root, name);
    await copyFile(fixture.path, archive);
    return archive;
  }

  /** Asserts that no temp file, temp manifest or lock is left, and nothing in `$TMPDIR`. */
  async function expectNoLeftovers(archive: string) {
    const paths = archivePaths(workspace.state, archive);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await readdir(join(workspace.state, 'locks'))).toEqual([]);
    const manifests = await readdir(join(workspace.state, 'manifests'));
    expect(manifests).toContain(`${paths.id}.json`);
    expect(manifests.filter((name) => name !== `${paths.id}.json` && name !== `${paths.id}.albums.jsonl`)).toEqual([]);
    expect(await readdir(osTmp)).toEqual([]);
  }

  /** Runs the same command again to the end: exit 0, every file in the sink exactly once and byte-exact, nothing left behind. */
  async function expectFinished(archive: string, args: string[], files: readonly ArchivedFile[], context = '') {
    const final = await runCli(args, { env, timeout: 45_000 });
    expect(final.code, `${context}\nstderr: ${final.stderr}`).toBe(0);
    expect(final.summary, context).toMatchObject({
      delivered: files.length,
      deliveredBytes: files.reduce((sum, file) => sum + file.data.length, 0),
      failed: [],
    });
    const report = await deliveryReport(workspace.out, files, albumSize);
    expect(report, context).toEqual(deliveredOnce(report, files.length));
    expect(final.summary?.albums, context).toBe(report.folders);
    await expectNoLeftovers(archive);
  }

  /**
   * Runs `kills` in turn over the archive, each ending in a SIGKILL; after each, the sink holds
   * nothing twice or wrong and the manifest claims nothing the sink lacks. Then runs it to the end.
   */
  async function killAndResume(archive: string, files: readonly ArchivedFile[], kills: readonly Kill[]) {
    const paths = archivePaths(workspace.state, archive);
    const args = sendArgs(archive, workspace.out, workspace.state, '--album-size', String(albumSize));
    const albums = Math.ceil(files.length / albumSize);
    const history: string[] = [];
    const context = () => `runs so far: ${history.join('; ')}`;
    for (const kill of kills) {
      const before = await albumFolderCount(workspace.out);
      const started = Date.now();
      const at = kill.kind === 'crash-point' ? kill.at(albums - before) : undefined;
      const cli = startCli(args, at ? { ...env, UNSPOOL_CRASH_AT: at } : env);
      if (kill.kind === 'mid-run') {
        if (await waitForAlbums(cli, workspace.out, before + kill.albums, 30_000)) await sleep(kill.delay);
        cli.killGroup('SIGKILL');
      }
      const exit = await cli.exited;
      const after = await albumFolderCount(workspace.out);
      history.push(`${at ?? `kill ${kill.kind === 'mid-run' ? `${kill.delay} ms after +${kill.albums} albums` : ''}`}: ${exit.signal ?? `exit ${exit.code}`} after ${Date.now() - started} ms, albums ${before} → ${after}`);
      expect(exit.signal, `${context()}\nstderr: ${exit.stderr}`).toBe('SIGKILL');
      // Killed mid-run: after a new album (a manifest write may come first: the checkpoint of an
      // album the last run placed and this one sent again, a no-op), not after all of them.
      if (at?.startsWith('manifest-write')) expect(after, context()).toBeGreaterThanOrEqual(before);
      else expect(after, context()).toBeGreaterThan(before);
      expect(after, context()).toBeLessThanOrEqual(albums);

      const report = await deliveryReport(workspace.out, files, albumSize);
      expect(neverWrong(report), context()).toEqual({ duplicated: [], unknown: [], wrongBytes: [], idsInTwoFolders: [], strayFiles: [], badAlbums: [] });
      // What the manifest counts as delivered is in albums the sink holds (their entries from the journal).
      const inSink = new Set((await readAlbums(workspace.out)).map((album) => album.id));
      const placed = new Set((await journalLines(paths)).filter((line) => inSink.has(line.album)).flatMap((line) => line.entries));
      const delivered = deliveredIndexes(await readManifest(paths.manifest));
      expect(delivered.filter((index) => !placed.has(index)), context()).toEqual([]);
      expect(delivered.length, context()).toBeLessThanOrEqual(report.delivered);
    }
    timings.push(`(${files.length} files: ${history.join('; ')})`);
    await expectFinished(archive, args, files, context());
  }

  it('delivers every file of a solid 7z exactly once over runs SIGKILLed mid-block: after the 1st album, in the middle, near the end', async () => {
    const archive = await placed(solid, 'camera.7z');
    // One solid block: every kill below lands in the middle of it.
    expect(await blocksOf(archive)).toEqual({ solid: '+', blocks: '1' });
    expect(solid.files.reduce((sum, file) => sum + file.data.length, 0)).toBeGreaterThan(ring + 2 * 1024 * 1024);
    await killAndResume(archive, solid.files, [
      // After the 1st album is in place, before the manifest knows: it is sent again, a no-op.
      { kind: 'crash-point', at: () => 'after-sink:1' },
      // From outside, right as the next album appears, and a little after.
      { kind: 'mid-run', albums: 1, delay: 0 },
      { kind: 'mid-run', albums: 1, delay: 15 },
      { kind: 'mid-run', albums: 2, delay: 5 },
      // During the manifest's write of the 2nd album's checkpoint (the 1st write is the run's start).
      { kind: 'crash-point', at: () => 'manifest-write:3' },
      // Near the end: once the last album is in place, before the manifest knows.
      { kind: 'crash-point', at: (remaining) => `after-sink:${remaining}` },
    ]);
  }, 90_000);

  it('delivers every file of a non-solid 7z exactly once over runs SIGKILLed mid-run', async () => {
    const archive = await placed(nonSolid, 'camera.7z');
    expect(await blocksOf(archive)).toEqual({ solid: '-', blocks: String(nonSolid.files.length) });
    await killAndResume(archive, nonSolid.files, [
      { kind: 'crash-point', at: () => 'after-sink:2' },
      { kind: 'mid-run', albums: 1, delay: 5 },
      { kind: 'crash-point', at: (remaining) => `after-sink:${remaining - 1}` },
    ]);
  }, 90_000);

  it('delivers every file exactly once after a SIGKILL while a big entry is being written, leaving no temp file', async () => {
    const archive = await placed(big, 'big.7z');
    const files = big.files;
    const args = sendArgs(archive, workspace.out, workspace.state, '--album-size', String(albumSize));
    const tmp = archivePaths(workspace.state, archive).tmp;
    const cli = startCli(args, env);
    await partWritten(cli, tmp, ring, bigSize - 2 * ring);
    cli.killGroup('SIGKILL');
    expect((await cli.exited).signal).toBe('SIGKILL');
    // The dead run's part-written temp file is there, for the next run to clear.
    expect((await filesUnder(tmp)).length).toBeGreaterThan(0);
    expect(neverWrong(await deliveryReport(workspace.out, files, albumSize))).toEqual({ duplicated: [], unknown: [], wrongBytes: [], idsInTwoFolders: [], strayFiles: [], badAlbums: [] });
    await expectFinished(archive, args, files);
  }, 60_000);

  describe.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as [NodeJS.Signals, number][])('stopped by %s', (signal, code) => {
    /** Asserts the stop: in time, with the code and the line saying how to resume, the manifest saved, no temp file. */
    async function expectStopped(cli: CliProcess, archive: string, what: string) {
      const { exit, elapsed } = await stop(cli, signal);
      timings.push(`${signal} ${what}: ${Math.round(elapsed)} ms`);
      expect(exit.code, exit.stderr).toBe(code);
      expect(elapsed, `${signal} ${what}`).toBeLessThan(promised);
      // The plain line, not the one of a pipeline (and its 7-Zip worker) that took over 1.5 s to let go.
      expect(exit.stderr.split('\n')).toContain(`unspool: ${archive}: stopped by ${signal}; run the same command again to resume`);
      expect(exit.stderr).not.toContain('letting go took over');
      await expectNoLeftovers(archive);
      return exit;
    }

    it(`ends within 2 s while 7-Zip decodes a solid block, with ${code}, and the next run delivers each file once`, async () => {
      const archive = await placed(solid, 'camera.7z');
      const files = solid.files;
      const args = sendArgs(archive, workspace.out, workspace.state, '--album-size', String(albumSize));
      const cli = startCli(args, env);
      expect(await waitForAlbums(cli, workspace.out, 1, 30_000)).toBe(true);
      const exit = await expectStopped(cli, archive, 'mid-block');
      // The summary still ends stdout and counts what the saved manifest knows: the sink's albums,
      // or one fewer (the album just confirmed, still in flight); never more.
      const summary = JSON.parse(exit.stdout.trim().split('\n').at(-1)!) as Summary;
      const stopped = await deliveryReport(workspace.out, files, albumSize);
      const total = files.reduce((sum, file) => sum + file.data.length, 0);
      const out = files.filter((file) => !stopped.missing.includes(file.name)).reduce((sum, file) => sum + file.data.length, 0);
      timings.push(`(${signal} mid-block: ${stopped.delivered} files, ${out} of ${total} bytes out)`);
      // 7-Zip had not reached the block's end: what it wrote is at most what went out, what the
      // album under way held (two files) and its full ring.
      expect(out + 2 * 450_000 + ring).toBeLessThan(total);
      expect(stopped.partial).toEqual([]);
      expect(summary.albums).toBeGreaterThanOrEqual(stopped.folders - 1);
      expect(summary.albums).toBeLessThanOrEqual(stopped.folders);
      const manifest = await readManifest(archivePaths(workspace.state, archive).manifest);
      expect(deliveredIndexes(manifest).length).toBe(summary.delivered);
      await expectFinished(archive, args, files);
    }, 60_000);

    it(`ends within 2 s while a big entry is written and 7-Zip waits on its full output, with ${code}`, async () => {
      const archive = await placed(big, 'big.7z');
      const files = big.files;
      const args = sendArgs(archive, workspace.out, workspace.state, '--album-size', String(albumSize));
      const cli = startCli(args, env);
      // The big entry's temp file, part written: more than 7-Zip's output ring behind it.
      await partWritten(cli, archivePaths(workspace.state, archive).tmp, ring, bigSize - 2 * ring);
      await expectStopped(cli, archive, 'big entry being written');
      await expectFinished(archive, args, files);
    }, 60_000);

    it(`ends within 2 s while 7-Zip is busy decoding (not waiting on anything), with ${code}`, async () => {
      const archive = await placed(slow, 'slow.7z');
      const args = sendArgs(archive, workspace.out, workspace.state, '--album-size', String(albumSize));
      const cli = startCli(args, env);
      // The 2 MB entry's temp file, part written: its bytes are taken as soon as 7-Zip writes them,
      // so 7-Zip is in the decoder's loop, which only the worker's termination interrupts.
      await partWritten(cli, archivePaths(workspace.state, archive).tmp, 256 * 1024, slowSize - 512 * 1024);
      await expectStopped(cli, archive, 'busy decoding');
      expect(await albumFolderCount(workspace.out)).toBe(0);
      await expectFinished(archive, args, slow.files);
    }, 60_000);
  });
});
