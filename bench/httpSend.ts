import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AlbumFolder, albumFolders } from './albumFolders.js';
import { type ArchiveKind, unspoolCli, unspoolSendArgs } from './competitors.js';
import { diskUsage, peakUsage, type Usage } from './diskUsage.js';
import { epochMs } from './fileServer.js';
import { type Served, startFileServerProcess } from './fileServerProcess.js';
import type { Fixtures } from './fixtures.js';
import { flushWrites, measure, type Measurement } from './measure.js';

/** Where a run of the HTTP benchmark reads its archive. */
export type HttpSourceKind = 'file' | 'ranges' | 'no-ranges';

/** One way of running `unspool send` in the HTTP benchmark. */
export interface HttpCase {
  /** Short name for the tables. */
  readonly name: string;
  readonly archive: ArchiveKind;
  /** The local file (the baseline), or the loopback server answering byte ranges, or not. */
  readonly source: HttpSourceKind;
}

/**
 * The runs, in order: each archive from the local file (the baseline each remote run is compared
 * with), then from the loopback server with ranges, then from one without (a zip is then
 * downloaded into `<state>/downloads` first; a tar.gz is streamed the same either way). Without
 * ranges, the probe's answer is read on, so either archive should cost one request and its size.
 */
export const httpCases: readonly HttpCase[] = [
  { name: 'file-zip', archive: 'zip', source: 'file' },
  { name: 'http-zip', archive: 'zip', source: 'ranges' },
  { name: 'http-zip-no-ranges', archive: 'zip', source: 'no-ranges' },
  { name: 'file-tgz', archive: 'tgz', source: 'file' },
  { name: 'http-tgz', archive: 'tgz', source: 'ranges' },
  { name: 'http-tgz-no-ranges', archive: 'tgz', source: 'no-ranges' },
];

/** One run of a case. */
export interface HttpRun {
  readonly measurement: Measurement;
  /** When unspool was spawned, in milliseconds since the Unix epoch (the server logs on that clock). */
  readonly startedAt: number;
  /** The most bytes and files seen at once under `<state>/tmp`, polled every ~10 ms. */
  readonly peakTemp: Usage;
  /** The same under `<state>/downloads` (the copy of a zip from a server without ranges). */
  readonly peakDownloads: Usage;
  /** Milliseconds from the spawn to the first poll that found the whole archive under `<state>/downloads`. */
  readonly downloadedMs?: number;
  /** What `<state>/downloads` still held after the run (the copy should be deleted). */
  readonly downloadsLeft: Usage;
  /** The albums delivered. */
  readonly albums: readonly AlbumFolder[];
  /** What the server sent (remote runs only). */
  readonly served?: Served;
}

/** A case and its runs. */
export interface HttpResult {
  readonly case: HttpCase;
  readonly runs: readonly HttpRun[];
}

/** The archive's file name in the cache folder, which is also its path on the server. */
const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * Runs `unspool send <archive> --to dir:<out> --state <state> --min-free 1MB --json` once in a
 * fresh `run-<name>` folder, the archive being the local file or its address on the server,
 * polling the temp and download folders; the server's log is read and cleared after the run.
 */
async function runOne(
  each: HttpCase,
  archivePath: string,
  archiveBytes: number,
  server: Awaited<ReturnType<typeof startFileServerProcess>>,
  cacheDir: string,
  timeWrapper: string | undefined,
): Promise<HttpRun> {
  const folder = join(cacheDir, `run-${each.name}`);
  const [out, state] = [join(folder, 'out'), join(folder, 'state')];
  await rm(folder, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await mkdir(state, { recursive: true });
  if (each.source !== 'file') await server.configure(each.source === 'ranges');
  await server.reset();
  flushWrites();
  const temp = peakUsage(join(state, 'tmp'));
  const downloadsUsage = peakUsage(join(state, 'downloads'));
  let downloadedMs: number | undefined;
  const onTick = async (elapsed: number) => {
    await temp.sample();
    const downloads = await downloadsUsage.sample();
    if (downloadedMs === undefined && downloads.bytes >= archiveBytes) downloadedMs = elapsed;
  };
  const archive = each.source === 'file' ? archivePath : server.url(fileName(archivePath));
  try {
    const startedAt = epochMs();
    const measurement = await measure(
      { command: process.execPath, args: [unspoolCli, ...unspoolSendArgs(archive, out, state)] },
      { onTick, timeWrapper },
    );
    const served = await server.reset();
    return {
      measurement,
      startedAt,
      peakTemp: temp.peak,
      peakDownloads: downloadsUsage.peak,
      ...(downloadedMs !== undefined ? { downloadedMs } : {}),
      downloadsLeft: await diskUsage(join(state, 'downloads')),
      albums: await albumFolders(out),
      ...(each.source === 'file' ? {} : { served }),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Runs every case `repeat` times, round-robin, against a file server in a process of its own (see
 * `startFileServerProcess`): unspool is measured as a child of the bench as everywhere else, so
 * neither the server's memory nor its CPU is counted as unspool's, and the server's event loop is
 * not held up by the bench's polling.
 *
 * @param fixtures The archives.
 * @param cacheDir Where the run folders go (`bench/.cache`).
 * @param timeWrapper GNU time, when installed, for unspool's CPU time.
 * @param repeat Runs of each case.
 * @param log Progress lines.
 */
export async function runHttp(
  fixtures: Fixtures,
  archiveBytes: Record<ArchiveKind, number>,
  cacheDir: string,
  timeWrapper: string | undefined,
  repeat: number,
  log: (line: string) => void,
): Promise<{ results: HttpResult[]; serverRssBytes: number }> {
  const server = await startFileServerProcess([fixtures.zip, fixtures.tgz]);
  try {
    const runs = httpCases.map(() => [] as HttpRun[]);
    for (let round = 1; round <= repeat; round++) {
      for (const [at, each] of httpCases.entries()) {
        log(`round ${round}/${repeat}: ${each.name} ...`);
        const path = each.archive === 'zip' ? fixtures.zip : fixtures.tgz;
        runs[at]!.push(await runOne(each, path, archiveBytes[each.archive], server, cacheDir, timeWrapper));
      }
    }
    const serverRssBytes = (await server.reset()).maxRssBytes;
    return { results: httpCases.map((each, at) => ({ case: each, runs: runs[at]! })), serverRssBytes };
  } finally {
    await server.close();
  }
}
