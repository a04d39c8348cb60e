import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AlbumFolder, albumFolders } from './albumFolders.js';
import type { ArchiveKind, Competitor, ExtractionArchive } from './competitors.js';
import { diskUsage, peakUsage, type Usage } from './diskUsage.js';
import type { Fixtures } from './fixtures.js';
import { flushWrites, measure, type Measurement } from './measure.js';
import { median, megabytes, type Row, seconds, table, times } from './report.js';
import { ensureStoredZip, storedZipLayout } from './storedZip.js';

/** unspool's memory goal on small devices, in bytes (decimal: 100 MB). */
export const rssTarget = 100e6;

/** Issue 14's goal on the stored zip: unspool's wall time at most this many times Python `zipfile`'s. */
export const storedWallTarget = 1.5;

/** What a complete extraction of an archive holds. */
interface Expected {
  readonly files: number;
  readonly bytes: number;
}

/** One run of a competitor over its archive. */
export interface ExtractionRun {
  readonly measurement: Measurement;
  /** What the output folder held at the end (for unspool: the album files, `album.json` not counted). */
  readonly out: Usage;
  /** unspool only: the most bytes and files seen at once under `<state>/tmp`, polled every ~10 ms. */
  readonly peakTemp?: Usage;
  /** unspool only: the albums delivered. */
  readonly albums?: readonly AlbumFolder[];
}

/** A competitor, the program found for it, and its runs. */
export interface ExtractionResult {
  readonly competitor: Competitor;
  readonly program: string;
  readonly runs: readonly ExtractionRun[];
}

/**
 * Runs one competitor in a fresh `run-<name>` folder (output and state), measuring wall time, peak
 * RSS and, for unspool, the temp folder's peak, then deletes the folder.
 */
async function runOne(competitor: Competitor, program: string, archive: string, cacheDir: string, timeWrapper?: string): Promise<ExtractionRun> {
  const folder = join(cacheDir, `run-${competitor.name}`);
  const out = join(folder, 'out');
  const state = join(folder, 'state');
  await rm(folder, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await mkdir(state, { recursive: true });
  flushWrites();
  const temp = peakUsage(join(state, 'tmp'));
  const onTick = competitor.unspool
    ? async () => {
        await temp.sample();
      }
    : undefined;
  try {
    const command = competitor.command(program, archive, out, state);
    const measurement = await measure(command, { onTick, timeWrapper });
    if (!competitor.unspool) return { measurement, out: await diskUsage(out) };
    const albums = await albumFolders(out);
    const files = albums.reduce((sum, album) => sum + album.entries.length, 0);
    const bytes = albums.reduce((sum, album) => sum + album.bytes, 0);
    return { measurement, out: { files, bytes }, peakTemp: temp.peak, albums };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * The archive files the chosen competitors read: the camera roll's, and the stored zip, built
 * (once, then cached) only when a competitor reads it.
 */
async function archivesFor(
  chosen: readonly { competitor: Competitor }[],
  fixtures: Fixtures,
  cacheDir: string,
  log: (line: string) => void,
): Promise<Partial<Record<ExtractionArchive, string>>> {
  const stored = chosen.some(({ competitor }) => competitor.archive === 'stored') ? (await ensureStoredZip(cacheDir, log)).path : undefined;
  return { zip: fixtures.zip, tgz: fixtures.tgz, ...(stored ? { stored } : {}) };
}

/** What a complete extraction of an archive holds. */
function expectedOf(archive: ExtractionArchive, fixtures: Fixtures): Expected {
  const entries = archive === 'stored' ? storedZipLayout() : fixtures.entries;
  return { files: entries.length, bytes: entries.reduce((sum, entry) => sum + entry.size, 0) };
}

/**
 * Runs each competitor `repeat` times over the benchmark archive it reads, round-robin (every
 * competitor once, then again), so that a slow spell of the disk does not land on one of them only.
 *
 * @param chosen The competitors to run, each with the program found for it.
 * @param fixtures The archives.
 * @param cacheDir Where the run folders go (`bench/.cache`).
 * @param timeWrapper GNU time, when installed, for CPU time and a second reading of peak RSS.
 * @param repeat Runs of each competitor.
 * @param log Progress lines.
 */
export async function runExtraction(
  chosen: readonly { competitor: Competitor; program: string }[],
  fixtures: Fixtures,
  cacheDir: string,
  timeWrapper: string | undefined,
  repeat: number,
  log: (line: string) => void,
): Promise<ExtractionResult[]> {
  const archives = await archivesFor(chosen, fixtures, cacheDir, log);
  const archiveOf = (competitor: Competitor) => archives[competitor.archive]!;
  const runs = chosen.map(() => [] as ExtractionRun[]);
  for (let round = 1; round <= repeat; round++) {
    for (const [at, { competitor, program }] of chosen.entries()) {
      log(`round ${round}/${repeat}: ${competitor.name} ...`);
      runs[at]!.push(await runOne(competitor, program, archiveOf(competitor), cacheDir, timeWrapper));
    }
  }
  return chosen.map(({ competitor, program }, at) => ({ competitor, program, runs: runs[at]! }));
}

const wallOf = (result: ExtractionResult) => median(result.runs.map((run) => run.measurement.wallMs));
const most = (values: readonly (number | undefined)[]) => Math.max(0, ...values.map((value) => value ?? 0));

/** Whether a run's output holds every entry with every byte (the archive itself, for `cp`). */
function complete(name: string, run: ExtractionRun, expected: Expected, archiveBytes: number | undefined): boolean {
  if (name === 'cp') return run.out.files === 1 && run.out.bytes === archiveBytes;
  return run.out.files === expected.files && run.out.bytes === expected.bytes;
}

const archiveLabels: Record<ExtractionArchive, string> = { zip: 'zip', tgz: 'tar.gz', stored: 'stored zip' };

function row(result: ExtractionResult, fixtures: Fixtures, archiveBytes: Record<ArchiveKind, number>): Row {
  const { competitor, runs } = result;
  const walls = runs.map((run) => run.measurement.wallMs);
  const cpu = runs.map((run) => run.measurement.rusage && run.measurement.rusage.userSeconds + run.measurement.rusage.systemSeconds);
  const rusage = runs.map((run) => run.measurement.rusage).filter((each) => each !== undefined);
  const last = runs.at(-1)!;
  const unspool = competitor.unspool;
  const expected = expectedOf(competitor.archive, fixtures);
  return {
    run: competitor.name,
    archive: archiveLabels[competitor.archive],
    'wall s': seconds(median(walls)),
    'min-max s': `${seconds(Math.min(...walls))}-${seconds(Math.max(...walls))}`,
    'MB/s': (last.out.bytes / 1e6 / (median(walls) / 1000)).toFixed(0),
    'user s': rusage.length ? median(rusage.map((each) => each.userSeconds)).toFixed(2) : '-',
    'sys s': rusage.length ? median(rusage.map((each) => each.systemSeconds)).toFixed(2) : '-',
    'cpu/wall': rusage.length ? `${Math.round((100 * median(cpu.map((each) => each ?? 0))) / (median(walls) / 1000))}%` : '-',
    'peak RSS MB': megabytes(most(runs.map((run) => run.measurement.memory.peakBytes))),
    procs: String(most(runs.map((run) => run.measurement.memory.processes))),
    'maxrss MB': rusage.length ? megabytes(most(rusage.map((each) => each.maxRssBytes))) : '-',
    'peak temp MB': unspool ? megabytes(most(runs.map((run) => run.peakTemp?.bytes))) : '-',
    'temp files': unspool ? String(most(runs.map((run) => run.peakTemp?.files))) : '-',
    'largest album MB': unspool ? megabytes(largestAlbum(result)) : '-',
    albums: last.albums ? String(last.albums.length) : '-',
    'out files': String(last.out.files),
    'out MB': megabytes(last.out.bytes),
    complete: runs.every((run) => complete(competitor.name, run, expected, competitor.archive === 'stored' ? undefined : archiveBytes[competitor.archive])) ? 'yes' : 'NO',
    exit: [...new Set(runs.map((run) => run.measurement.signal ?? String(run.measurement.code)))].join(','),
  };
}

const largestAlbum = (result: ExtractionResult) => most(result.runs.flatMap((run) => (run.albums ?? []).map((album) => album.bytes)));

/**
 * The extraction table (medians of wall and CPU time, maxima of memory and temp bytes over the
 * runs) and the ratios the issues ask for: unspool's wall time against the fastest extractor of
 * the same archive (on the stored zip, against the 1.5× Python `zipfile` goal) and against the
 * `cp` floor (the camera roll's zip copied), its peak RSS against the 100 MB goal, and its peak
 * temp bytes against its largest album.
 *
 * @param results The runs.
 * @param fixtures The archives (for the expected totals).
 * @param archiveBytes Size of each archive file, by kind.
 * @return The lines to print.
 */
export function extractionReport(results: readonly ExtractionResult[], fixtures: Fixtures, archiveBytes: Record<ArchiveKind, number>): string[] {
  const lines = table(results.map((result) => row(result, fixtures, archiveBytes)));
  const floor = results.find((result) => result.competitor.name === 'cp');
  for (const result of results.filter((each) => each.competitor.unspool)) {
    const { name, archive } = result.competitor;
    const rivals = results.filter((each) => !each.competitor.unspool && each.competitor.name !== 'cp' && each.competitor.archive === archive);
    const fastest = [...rivals].sort((a, b) => wallOf(a) - wallOf(b))[0];
    const wall = wallOf(result);
    lines.push('');
    if (fastest) lines.push(`${name}: wall / fastest ${archiveLabels[archive]} extractor (${fastest.competitor.name}) = ${times(wall / wallOf(fastest))}`);
    if (fastest && archive === 'stored') {
      const ratio = wall / wallOf(fastest);
      lines.push(`${name}: target wall <= ${times(storedWallTarget)} ${fastest.competitor.name} (${seconds(wallOf(fastest))} s): ${seconds(wall)} s = ${times(ratio)} (${ratio <= storedWallTarget ? 'met' : 'NOT met'})`);
    }
    if (floor) lines.push(`${name}: wall / cp floor = ${times(wall / wallOf(floor))}`);
    const peak = most(result.runs.map((run) => run.measurement.memory.peakBytes));
    lines.push(`${name}: peak RSS ${megabytes(peak)} MB = ${times(peak / rssTarget)} the 100 MB target (${peak <= rssTarget ? 'within' : 'OVER'})`);
    const largest = largestAlbum(result);
    const temp = most(result.runs.map((run) => run.peakTemp?.bytes));
    if (largest > 0) {
      lines.push(
        `${name}: peak temp ${megabytes(temp)} MB = ${times(temp / largest)} the largest album (${megabytes(largest)} MB); ` +
          `at most ${most(result.runs.map((run) => run.peakTemp?.files))} temp files at once (album size 10)`,
      );
    }
    const summary = shortSummary(result.runs.at(-1)!.measurement.stdout);
    if (summary) lines.push(`${name}: summary ${summary}`);
  }
  return lines;
}

/** The `--json` summary (the last stdout line), shortened for the report. */
function shortSummary(stdout: string): string | undefined {
  const last = stdout.trimEnd().split('\n').at(-1);
  if (!last?.startsWith('{')) return undefined;
  const summary = JSON.parse(last) as Record<string, unknown>;
  const { entries, delivered, deliveredBytes, albums, skipped, failed } = summary;
  return JSON.stringify({ entries, delivered, deliveredBytes, albums, skipped: (skipped as unknown[]).length, failed: (failed as unknown[]).length });
}
