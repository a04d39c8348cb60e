import { copyFile, link, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestData } from '../src/state/manifest.js';
import { albumFolderNames, albumFolders } from './albumFolders.js';
import { albumPlan, crashAlbum } from './albumPlan.js';
import { type ArchiveKind, unspoolCli, unspoolSendArgs } from './competitors.js';
import { fileNames } from './diskUsage.js';
import type { Fixtures } from './fixtures.js';
import { flushWrites, measure, type Measurement } from './measure.js';
import { median, megabytes, type Row, seconds, table, times } from './report.js';

/** The points of the archive a resumed run starts from: about 10 % and 90 % of the entries delivered (see {@link crashAlbum}). */
export const resumeShares = [0.1, 0.9] as const;

/** One run of the same command on a copy of the crashed run's state and destination. */
export interface ResumedRun {
  readonly measurement: Measurement;
  /** Milliseconds from spawn to the first new temp file (the first byte of work after the skip). */
  readonly firstTempMs?: number;
  /** Milliseconds from spawn to the first journal line (the rebuilt album confirmed again). */
  readonly firstDeliveryMs?: number;
  /** Milliseconds from spawn to the first new album folder in the destination. */
  readonly firstNewAlbumMs?: number;
  /** The first new album's file count and bytes. */
  readonly newAlbum?: { readonly files: number; readonly bytes: number };
}

/** The resumed runs from one point of an archive, and the crashed run that prepared them. */
export interface ResumeResult {
  readonly archive: ArchiveKind;
  readonly share: number;
  /** The crashed run killed itself after the sink confirmed this album (`UNSPOOL_CRASH_AT=after-sink:N`). */
  readonly crashAfter: number;
  readonly prepare: Measurement;
  /** Entries the manifest held settled when the resumed run started. */
  readonly settled: number;
  /** Bytes of the album left in flight by the crash, which the resumed run rebuilds and re-sends (a no-op). */
  readonly inFlightBytes: number;
  readonly runs: readonly ResumedRun[];
}

async function readManifest(state: string): Promise<{ file: string; data: ManifestData }> {
  const folder = join(state, 'manifests');
  const name = (await readdir(folder)).find((each) => each.endsWith('.json'));
  if (!name) throw new Error(`no manifest in ${folder}: the crashed run did not get far enough`);
  const file = join(folder, name);
  return { file, data: JSON.parse(await readFile(file, 'utf8')) as ManifestData };
}

const lineCount = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').length - 1;

/**
 * Copies a run folder for one more resume from the same point: album files and temp files as hard
 * links (the sink never changes a delivered file, and the resumed run only deletes temp files),
 * the state's manifests and locks as real copies (the journal is appended to in place).
 */
async function cloneRun(from: string, to: string, copy = false): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const [source, target] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) await cloneRun(source, target, copy || entry.name === 'manifests' || entry.name === 'locks');
    else if (copy) await copyFile(source, target);
    else await link(source, target);
  }
}

/**
 * Runs the command again on a copy of a crashed run and measures, polling every ~10 ms, the first
 * new temp file, the first journal line and the first new album folder. The run is stopped with
 * SIGTERM as soon as its first new album is in place. Dirty pages are written out first: the
 * crashed run leaves up to a gigabyte of them, and the resumed run's first manifest `fsync` would
 * wait for them (0.6 s in a trial), which is write-back, not the cost of resuming.
 */
async function resumeOnce(prepared: string, folder: string, archivePath: string): Promise<ResumedRun> {
  await rm(folder, { recursive: true, force: true });
  await cloneRun(prepared, folder);
  const [out, state] = [join(folder, 'out'), join(folder, 'state')];
  try {
    const journal = (await readManifest(state)).file.replace(/\.json$/, '.albums.jsonl');
    const before = new Set(await albumFolderNames(out));
    const staleTemp = new Set(await fileNames(join(state, 'tmp')));
    const journalBefore = await lineCount(journal);
    flushWrites();
    let firstTempMs: number | undefined;
    let firstDeliveryMs: number | undefined;
    let firstNewAlbumMs: number | undefined;
    const measurement = await measure(
      { command: process.execPath, args: [unspoolCli, ...unspoolSendArgs(archivePath, out, state)] },
      {
        onTick: async (elapsed) => {
          if (firstTempMs === undefined && (await fileNames(join(state, 'tmp'))).some((name) => !staleTemp.has(name))) firstTempMs = elapsed;
          if (firstDeliveryMs === undefined && (await lineCount(journal)) > journalBefore) firstDeliveryMs = elapsed;
          if ((await albumFolderNames(out)).some((name) => !before.has(name))) {
            firstNewAlbumMs = elapsed;
            return true;
          }
          return false;
        },
      },
    );
    const fresh = (await albumFolders(out)).find((album) => !before.has(album.folder));
    return {
      measurement,
      ...(firstTempMs !== undefined ? { firstTempMs } : {}),
      ...(firstDeliveryMs !== undefined ? { firstDeliveryMs } : {}),
      ...(firstNewAlbumMs !== undefined ? { firstNewAlbumMs } : {}),
      ...(fresh ? { newAlbum: { files: fresh.entries.length, bytes: fresh.bytes } } : {}),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Prepares a state `share` of the way through the archive the realistic way, by a run that crashes
 * (SIGKILL, from unspool's own `UNSPOOL_CRASH_AT` seam) right after the sink confirmed the album
 * that reaches the share (see {@link crashAlbum}), then resumes copies of it `repeat` times (see
 * {@link resumeOnce}).
 */
async function resumeFrom(
  archive: ArchiveKind,
  share: number,
  fixtures: Fixtures,
  plan: readonly number[][],
  cacheDir: string,
  repeat: number,
): Promise<ResumeResult> {
  const folder = join(cacheDir, `run-resume-${archive}-${Math.round(share * 100)}`);
  const prepared = join(folder, 'prepared');
  const [out, state] = [join(prepared, 'out'), join(prepared, 'state')];
  await rm(folder, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const path = archive === 'zip' ? fixtures.zip : fixtures.tgz;
  const crashAfter = crashAlbum(plan, fixtures.entries, share);
  try {
    const prepare = await measure({
      command: process.execPath,
      args: [unspoolCli, ...unspoolSendArgs(path, out, state)],
      env: { UNSPOOL_CRASH_AT: `after-sink:${crashAfter}` },
    });
    const manifest = await readManifest(state);
    const settled =
      manifest.data.delivered.reduce((sum, [first, last]) => sum + last - first + 1, 0) + Object.keys(manifest.data.outcomes).length;
    const inFlightBytes = Object.values(manifest.data.inFlight)
      .flatMap((record) => record.entries)
      .reduce((sum, index) => sum + (fixtures.entries[index]?.size ?? 0), 0);
    const runs: ResumedRun[] = [];
    for (let round = 1; round <= repeat; round++) runs.push(await resumeOnce(prepared, join(folder, `resume-${round}`), path));
    return { archive, share, crashAfter, prepare, settled, inFlightBytes, runs };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Measures what resuming costs at about 10 % and 90 % of each chosen archive (see {@link resumeFrom}).
 *
 * @param archives `zip` (the case), and `tgz` to show what a stream format costs.
 * @param fixtures The archives.
 * @param cacheDir Where the run folders go.
 * @param repeat Resumed runs from each point.
 * @param log Progress lines.
 */
export async function runResume(
  archives: readonly ArchiveKind[],
  fixtures: Fixtures,
  cacheDir: string,
  repeat: number,
  log: (line: string) => void,
): Promise<ResumeResult[]> {
  const plan = await albumPlan(fixtures.entries);
  const results: ResumeResult[] = [];
  for (const archive of archives) {
    for (const share of resumeShares) {
      log(`resume ${archive} at ${share * 100} %: crashing a run after album ${crashAlbum(plan, fixtures.entries, share)} of ${plan.length}, then resuming ${repeat}× ...`);
      results.push(await resumeFrom(archive, share, fixtures, plan, cacheDir, repeat));
    }
  }
  return results;
}

/** The median of the runs' values, in seconds; `-` when a run did not get there. */
function medianOf(runs: readonly ResumedRun[], pick: (run: ResumedRun) => number | undefined): number | undefined {
  const values = runs.map(pick);
  return values.every((value) => value !== undefined) ? median(values as number[]) : undefined;
}

const secondsOr = (value: number | undefined) => (value === undefined ? '-' : seconds(value));

/**
 * The resume table (medians over the resumed runs), and for each archive the ratio of the 90 %
 * resume to the 10 % one (about 1× is the goal for zip).
 *
 * @param results The resumed runs.
 * @param total Entries in the archive.
 * @return The lines to print.
 */
export function resumeReport(results: readonly ResumeResult[], total: number): string[] {
  const rows: Row[] = results.map((result) => {
    const firstNew = result.runs.map((run) => run.firstNewAlbumMs ?? Number.NaN);
    const album = result.runs.at(-1)?.newAlbum;
    return {
      archive: result.archive === 'zip' ? 'zip' : 'tar.gz',
      at: `${Math.round(result.share * 100)}%`,
      'crash after album': String(result.crashAfter),
      settled: `${result.settled}/${total} = ${Math.round((100 * result.settled) / total)}%`,
      'in flight MB': megabytes(result.inFlightBytes),
      'prepare s': seconds(result.prepare.wallMs),
      'first temp s': secondsOr(medianOf(result.runs, (run) => run.firstTempMs)),
      're-sent s': secondsOr(medianOf(result.runs, (run) => run.firstDeliveryMs)),
      'first new album s': secondsOr(medianOf(result.runs, (run) => run.firstNewAlbumMs)),
      'min-max s': `${seconds(Math.min(...firstNew))}-${seconds(Math.max(...firstNew))}`,
      'new album': album ? `${album.files} files ${megabytes(album.bytes)} MB` : '-',
      'peak RSS MB': megabytes(Math.max(...result.runs.map((run) => run.measurement.memory.peakBytes))),
      'crash exit': result.prepare.signal ?? String(result.prepare.code),
      exit: [...new Set(result.runs.map((run) => run.measurement.signal ?? String(run.measurement.code)))].join(','),
    };
  });
  const lines = table(rows);
  lines.push(
    '',
    `medians of ${results[0]?.runs.length ?? 0} resumed run(s) from each point, each on a copy of the crashed run's state and destination.`,
    'first temp = first byte of new work after skipping the settled entries; re-sent = the album the crash left in flight, rebuilt',
    'from the archive and confirmed again (a no-op in the sink); first new album = a new folder in the destination.',
  );
  for (const archive of new Set(results.map((result) => result.archive))) {
    const [early, late] = resumeShares.map((share) => results.find((result) => result.archive === archive && result.share === share));
    if (!early || !late) continue;
    const ratio = (pick: (run: ResumedRun) => number | undefined) => {
      const [a, b] = [medianOf(early.runs, pick), medianOf(late.runs, pick)];
      return a !== undefined && b !== undefined ? `${seconds(b)} s / ${seconds(a)} s = ${times(b / a)}` : 'not measured';
    };
    lines.push(`${archive}: first new album at 90 % / at 10 %: ${ratio((run) => run.firstNewAlbumMs)}`);
    lines.push(`${archive}: first temp write at 90 % / at 10 %: ${ratio((run) => run.firstTempMs)}`);
  }
  return lines;
}
