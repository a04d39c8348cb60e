import type { ArchiveKind } from './competitors.js';
import type { ServedRequest } from './fileServer.js';
import type { Fixtures } from './fixtures.js';
import type { HttpResult, HttpRun } from './httpSend.js';
import { median, megabytes, type Row, seconds, table, times } from './report.js';

/**
 * The bound for the bytes an archive costs on the wire, as a share of the archive: a zip read in
 * place over ranges, and any archive from a server without ranges (its probe's answer is read on).
 */
export const wireTarget = 1.01;

/** The fixed part of a zip entry's local header: unspool reads it with a request of its own before the entry's data. */
const localHeaderBytes = 30;

const most = (values: readonly number[]) => Math.max(0, ...values);
const wallOf = (result: HttpResult) => median(result.runs.map((run) => run.measurement.wallMs));
/** Median user + system seconds of unspool's process tree, when GNU time measured every run. */
function cpuOf(result: HttpResult): number | undefined {
  const rusage = result.runs.map((run) => run.measurement.rusage);
  return rusage.every((each) => each !== undefined) ? median(rusage.map((each) => each!.userSeconds + each!.systemSeconds)) : undefined;
}
const sentOf = (run: HttpRun) => run.served?.requests.reduce((sum, request) => sum + request.bytesSent, 0) ?? 0;

/**
 * Whether a run delivered every entry of the archive with every byte, as the extraction bench
 * judges unspool's output (files and bytes in the album folders), and under the entries' own names.
 */
function complete(run: HttpRun, fixtures: Fixtures): boolean {
  const names = run.albums.flatMap((album) => album.entries).sort();
  const expected = fixtures.entries.map((entry) => entry.name).sort();
  const bytes = run.albums.reduce((sum, album) => sum + album.bytes, 0);
  return bytes === fixtures.totalBytes && names.length === expected.length && names.every((name, at) => name === expected[at]);
}

/** The bytes a request's `Range` asks for, if it names both ends. */
function rangeLength(request: ServedRequest): number | undefined {
  const match = /^bytes=(\d+)-(\d+)$/.exec(request.range ?? '');
  return match ? Number(match[2]) - Number(match[1]) + 1 : undefined;
}

/** Milliseconds during which at least one request was open. */
function inFlightMs(requests: readonly ServedRequest[]): number {
  const spans = requests.map((request) => [request.startedAt, request.endedAt ?? request.startedAt] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [from, to] = [Number.NaN, Number.NaN];
  for (const [start, end] of spans) {
    if (start > to) {
      total += to - from;
      [from, to] = [start, end];
    } else if (Number.isNaN(from)) [from, to] = [start, end];
    else to = Math.max(to, end);
  }
  return Number.isNaN(from) ? 0 : total + to - from;
}

function runRow(result: HttpResult, baseline: HttpResult | undefined, fixtures: Fixtures, archiveBytes: Record<ArchiveKind, number>): Row {
  const { runs } = result;
  const { name, archive, source } = result.case;
  const walls = runs.map((run) => run.measurement.wallMs);
  const cpu = cpuOf(result);
  const remote = source !== 'file';
  const sent = median(runs.map(sentOf));
  const downloaded = runs.map((run) => run.downloadedMs).filter((each) => each !== undefined);
  return {
    run: name,
    archive: archive === 'zip' ? 'zip' : 'tar.gz',
    'read from': source === 'file' ? 'local file' : source === 'ranges' ? 'http, ranges' : 'http, no ranges',
    'wall s': seconds(median(walls)),
    'min-max s': `${seconds(Math.min(...walls))}-${seconds(Math.max(...walls))}`,
    'vs file': remote && baseline ? times(median(walls) / wallOf(baseline)) : '-',
    'cpu s': cpu === undefined ? '-' : cpu.toFixed(2),
    'cpu vs file': remote && cpu !== undefined && baseline && cpuOf(baseline) !== undefined ? times(cpu / cpuOf(baseline)!) : '-',
    'peak RSS MB': megabytes(most(runs.map((run) => run.measurement.memory.peakBytes))),
    'peak temp MB': megabytes(most(runs.map((run) => run.peakTemp.bytes))),
    'peak downloads MB': megabytes(most(runs.map((run) => run.peakDownloads.bytes))),
    'downloaded at s': downloaded.length === runs.length ? seconds(median(downloaded)) : '-',
    'sent MB': remote ? megabytes(sent) : '-',
    'sent/archive': remote ? (sent / archiveBytes[archive]).toFixed(4) : '-',
    'out files': String(runs.at(-1)!.albums.reduce((sum, album) => sum + album.entries.length, 0)),
    complete: runs.every((run) => complete(run, fixtures)) ? 'yes' : 'NO',
    exit: [...new Set(runs.map((run) => run.measurement.signal ?? String(run.measurement.code)))].join(','),
  };
}

/** The last run's requests, seen from the server: how many, how answered, and when the wire was busy. */
function wireRow(result: HttpResult): Row {
  const run = result.runs.at(-1)!;
  const { requests, connections, cpuSeconds } = run.served!;
  const statuses = new Map<number, number>();
  for (const request of requests) statuses.set(request.status, (statuses.get(request.status) ?? 0) + 1);
  const headers = requests.filter((request) => rangeLength(request) === localHeaderBytes);
  const first = Math.min(...requests.map((request) => request.startedAt));
  const last = Math.max(...requests.map((request) => request.endedAt ?? request.startedAt));
  const busy = inFlightMs(requests);
  return {
    run: result.case.name,
    requests: String(requests.length),
    answers: [...statuses].map(([status, count]) => `${status}×${count}`).join(' '),
    connections: String(connections),
    aborted: String(requests.filter((request) => request.aborted).length),
    'header reads': String(headers.length),
    'header s': seconds(inFlightMs(headers)),
    'first request s': seconds(first - run.startedAt),
    'last answer s': seconds(last - run.startedAt),
    'in flight s': seconds(busy),
    'idle s': seconds(last - first - busy),
    'after s': seconds(run.measurement.wallMs - (last - run.startedAt)),
    'server cpu s': cpuSeconds.toFixed(2),
  };
}

/**
 * The HTTP tables: each run against the local-file run of its archive (medians of wall and CPU
 * time, maxima of memory, temp and download bytes, the bytes the server sent), then the last
 * remote run of each case as the server saw it, then the checks the issues ask for: bytes on the
 * wire against {@link wireTarget} for every remote run, and the download of a zip from a server
 * without ranges (its peak, when it finished, that it was deleted).
 *
 * @param results The runs, baselines (`source: 'file'`) included.
 * @param serverRssBytes The server process's peak RSS over every run.
 * @param fixtures The archives (the expected entries and bytes).
 * @param archiveBytes Size of each archive file.
 * @return The lines to print.
 */
export function httpReport(
  results: readonly HttpResult[],
  serverRssBytes: number,
  fixtures: Fixtures,
  archiveBytes: Record<ArchiveKind, number>,
): string[] {
  const baselineOf = (archive: ArchiveKind) => results.find((result) => result.case.source === 'file' && result.case.archive === archive);
  const remote = results.filter((result) => result.case.source !== 'file');
  const lines = [
    ...table(results.map((result) => runRow(result, baselineOf(result.case.archive), fixtures, archiveBytes))),
    '',
    'vs file = wall (cpu) / that of the local-file run of the same archive (cpu time is the steadier of the two on a busy machine);',
    'sent = body bytes the server handed to the kernel; downloaded at = the whole archive first seen under <state>/downloads.',
    '',
    `Requests of the last run of each, as the server logged them (times from unspool's spawn; header reads = ${localHeaderBytes}-byte ranges, a zip`,
    "entry's local header, and the time they were open; idle = between the first request and the last answer with none open, which",
    'includes unspool reading the last few MB of an answer the kernel and undici buffer after the server is done):',
    '',
    ...table(remote.map(wireRow)),
    '',
  ];
  for (const result of remote) {
    const { name, archive, source } = result.case;
    const ratio = median(result.runs.map(sentOf)) / archiveBytes[archive];
    const baseline = baselineOf(archive);
    const verdict = ` (target ≤ ${wireTarget}: ${ratio <= wireTarget ? 'within' : 'OVER'})`;
    lines.push(`${name}: bytes sent / archive = ${ratio.toFixed(4)}${verdict}`);
    if (baseline) lines.push(`${name}: wall / ${baseline.case.name} = ${seconds(wallOf(result))} s / ${seconds(wallOf(baseline))} s = ${times(wallOf(result) / wallOf(baseline))}`);
    const downloads = most(result.runs.map((run) => run.peakDownloads.bytes));
    if (downloads > 0) {
      const downloaded = median(result.runs.map((run) => run.downloadedMs ?? Number.NaN));
      const left = most(result.runs.map((run) => run.downloadsLeft.files));
      lines.push(
        `${name}: peak <state>/downloads ${megabytes(downloads)} MB = ${times(downloads / archiveBytes[archive])} the archive; ` +
          `whole after ${seconds(downloaded)} s of ${seconds(wallOf(result))} s; ${left ? `${left} file(s) LEFT` : 'deleted'} after the run`,
      );
    }
    const failures = result.runs.filter((run) => run.measurement.code !== 0);
    for (const run of failures.slice(0, 1)) lines.push(`${name}: exit ${run.measurement.code}: ${run.measurement.stderr.trim().split('\n').at(-1) ?? ''}`);
  }
  lines.push(`file server: its own peak RSS ${megabytes(serverRssBytes)} MB over every run (a separate process, not counted in unspool's)`);
  return lines;
}
