import { mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestData } from '../../src/state/manifest.js';
import { archivePaths } from '../../src/state/stateDir.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { createWorkspace, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { albumFolderCount, killLeftovers, startCli, waitForAlbums } from './cliProcess.js';
import { deliveredOnce, deliveryReport, journalLines, neverWrong } from './deliveryReport.js';
import { type ArchiveKind, mixedFiles, writeArchive } from './mixedArchive.js';
import { crashSeed, type SeededRandom, seededRandom } from './seededRandom.js';

const seed = crashSeed();
const files = mixedFiles(300, 'crash');
const albumSize = 5;
const randomKills = 12;

/** One interrupted run: SIGKILL from outside at a random moment, or a built-in crash point. */
type Kill =
  /** Killed this long after it started: at start-up, opening the archive, reading the manifest. */
  | { readonly kind: 'early'; readonly after: number }
  /** Killed `delay` ms after `albums` more album folders appeared: mid-delivery. */
  | { readonly kind: 'mid-run'; readonly albums: number; readonly delay: number }
  /** `UNSPOOL_CRASH_AT`: the process SIGKILLs itself at that point. */
  | { readonly kind: 'crash-point'; readonly at: string };

const describeKill = (kill: Kill): string =>
  kill.kind === 'early' ? `kill at ${kill.after} ms` : kill.kind === 'mid-run' ? `kill ${kill.delay} ms after +${kill.albums} albums` : kill.at;

/**
 * The kills of one crash test, decided by the seed: first a crash in the very first manifest write
 * (no manifest exists yet, only its temp file), then random kills mixed with crash points during
 * a manifest write and between the sink's confirmation and the checkpoint.
 */
function killPlan(random: SeededRandom): Kill[] {
  const outside = Array.from({ length: randomKills }, (): Kill =>
    random.next() < 0.2 ? { kind: 'early', after: random.int(0, 450) } : { kind: 'mid-run', albums: random.int(1, 2), delay: random.int(0, 50) },
  );
  const points = ['after-sink:1', `after-sink:${random.int(2, 6)}`, 'manifest-write:2', 'manifest-write:3', `manifest-write:${random.int(4, 14)}`];
  return [
    { kind: 'crash-point', at: 'manifest-write:1' },
    ...random.shuffle([...outside, ...points.map((at): Kill => ({ kind: 'crash-point', at }))]),
  ];
}

/** Names of the temp files that `write-file-atomic` leaves beside a manifest when killed mid-write. */
async function manifestTemps(manifestFile: string): Promise<string[]> {
  const names = await readdir(join(manifestFile, '..')).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith(`${basename(manifestFile)}.`) && !name.endsWith('.jsonl'));
}

/** The manifest as a killed run left it, if there is one; it must always be whole JSON. */
async function readManifest(file: string): Promise<ManifestData | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as ManifestData);
}

/** The indexes a manifest records as delivered. */
const deliveredIndexes = (manifest: ManifestData | undefined): number[] =>
  (manifest?.delivered ?? []).flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i));

describe.each([
  ['zip', 1],
  ['tar', 2],
  ['tar.gz', 3],
] as [ArchiveKind, number][])('a %s run killed again and again', (format, salt) => {
  let workspace: Workspace;
  /** The CLI's `$TMPDIR`: temp files belong in `<state>/tmp`, so this must stay empty. */
  let osTmp: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    osTmp = join(workspace.root, 'os-tmp');
    await mkdir(osTmp);
  });

  afterEach(async () => {
    await killLeftovers();
    await removeWorkspace(workspace);
  });

  it(`delivers every entry exactly once in the end (replay with CRASH_SEED=${seed})`, async () => {
    const random = seededRandom(seed + salt);
    const archive = join(workspace.root, `phone-backup.${format}`);
    await writeArchive(format, archive, files);
    const paths = archivePaths(workspace.state, archive);
    const args = sendArgs(archive, workspace.out, workspace.state, '--album-size', String(albumSize));
    const env = { TMPDIR: osTmp, TMP: osTmp, TEMP: osTmp };
    const history: string[] = [];
    const context = () => `CRASH_SEED=${seed}, ${format}; runs so far: ${history.join('; ')}`;

    let kills = 0;
    for (const kill of killPlan(random)) {
      const before = await albumFolderCount(workspace.out);
      const started = Date.now();
      const cli = startCli(args, kill.kind === 'crash-point' ? { ...env, UNSPOOL_CRASH_AT: kill.at } : env);
      if (kill.kind === 'early') {
        await sleep(kill.after);
        cli.killGroup('SIGKILL');
      } else if (kill.kind === 'mid-run') {
        if (await waitForAlbums(cli, workspace.out, before + kill.albums)) await sleep(kill.delay);
        cli.killGroup('SIGKILL');
      }
      const exit = await cli.exited;
      const after = await albumFolderCount(workspace.out);
      history.push(`${describeKill(kill)}: ${exit.signal ?? `exit ${exit.code}`} after ${Date.now() - started} ms, albums ${before} → ${after}`);
      expect(exit.signal, `${context()}\nstderr: ${exit.stderr}`).toBe('SIGKILL');
      kills++;

      // Whenever it dies, the manifest is whole and never claims more than the sink holds, and
      // the sink holds nothing twice and nothing wrong.
      const manifest = await readManifest(paths.manifest);
      const report = await deliveryReport(workspace.out, files, albumSize);
      expect(neverWrong(report), context()).toEqual({ duplicated: [], unknown: [], wrongBytes: [], idsInTwoFolders: [], strayFiles: [], badAlbums: [] });
      const missing = new Set(report.missing);
      expect(deliveredIndexes(manifest).filter((index) => missing.has(files[index]!.name)), context()).toEqual([]);

      if (kill.kind === 'crash-point' && kill.at.startsWith('manifest-write')) {
        expect(await manifestTemps(paths.manifest), `${context()}: the temp manifest of the interrupted write`).toHaveLength(1);
      }
      if (kill.kind === 'crash-point' && kill.at.startsWith('after-sink')) {
        // The sink has the album; the manifest still has it in flight and will send it again.
        const inSink = new Set((await readAlbums(workspace.out)).map((album) => album.id));
        expect(Object.keys(manifest?.inFlight ?? {}).filter((id) => inSink.has(id)).length, context()).toBeGreaterThanOrEqual(1);
      }
    }
    expect(kills).toBeGreaterThanOrEqual(10);

    const final = await runCli(args, { env, timeout: 30_000 });
    expect(final.code, `${context()}\nstderr: ${final.stderr}`).toBe(0);
    expect(final.summary).toMatchObject({
      entries: format === 'zip' ? files.length : null,
      delivered: files.length,
      deliveredBytes: files.reduce((sum, file) => sum + file.data.length, 0),
      skipped: [],
      failed: [],
    });

    const report = await deliveryReport(workspace.out, files, albumSize);
    expect(report, context()).toEqual(deliveredOnce(report, files.length));
    expect(final.summary?.albums, context()).toBe(report.folders);

    // The journal knows every album, and where each went.
    const albums = await readAlbums(workspace.out);
    const journal = new Map((await journalLines(paths)).map((line) => [line.album, line.receipt]));
    expect([...journal.keys()].sort()).toEqual(albums.map((album) => album.id).sort());
    for (const album of albums) {
      expect(journal.get(album.id)).toEqual(album.files.map((file) => join(workspace.out, album.folder, file.file)));
    }

    // Nothing left behind: temp files, temp manifests, locks, files outside out/ and state/.
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect((await readdir(join(workspace.state, 'manifests'))).sort()).toEqual([`${paths.id}.albums.jsonl`, `${paths.id}.json`]);
    expect(await readdir(join(workspace.state, 'locks'))).toEqual([]);
    expect((await readdir(workspace.state)).sort()).toEqual(['locks', 'manifests', 'tmp']);
    expect(await readdir(osTmp)).toEqual([]);
    expect((await readdir(workspace.root)).sort()).toEqual(['os-tmp', 'out', `phone-backup.${format}`, 'state'].sort());
  }, 120_000);
});
