import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPartsInFlight } from '../src/sinks/telegram/telegramSink.js';
import { linkBound, type LinkConfig, linkFloor, type LinkStats } from '../spec/support/linkModel.js';
import { peakUsage } from './diskUsage.js';
import { type LinkArchive, linkArchives } from './linkArchives.js';
import { flushWrites, measure } from './measure.js';
import { megabytes, type Row, seconds, table, times } from './report.js';

/** The targets: wall time over the floor for photos and videos, and peak RSS. */
export const linkTargets = { photos: 1.25, videos: 1.1, rssBytes: 150e6 } as const;

/** A link of the benchmark, with its name in the table. */
interface NamedLink extends LinkConfig {
  readonly name: string;
}

/**
 * The two links, a good phone connection and a poor one far from the data center, and a
 * fast one (fibre near the data center) whose bandwidth-delay product (1.6 MB) is over three
 * parts, to see what a smaller budget costs there.
 */
const links: readonly NamedLink[] = [
  { name: '100 ms, 8 MB/s', roundTripMs: 100, bytesPerSecond: 8e6 },
  { name: '300 ms, 2 MB/s', roundTripMs: 300, bytesPerSecond: 2e6 },
  { name: '40 ms, 40 MB/s', roundTripMs: 40, bytesPerSecond: 40e6 },
];

/** Budgets of parts in flight tried, to choose the default by; the slow link gets the default only. */
const budgets = [...new Set([4, 8, 16, defaultPartsInFlight])].sort((a, b) => a - b);

const child = fileURLToPath(new URL('./linkUploadChild.js', import.meta.url));

/** What the child prints. */
interface ChildResult {
  readonly link: LinkStats;
  /** Bytes of each album, in the order they were posted. */
  readonly albums: readonly number[];
  /** What the messages went as: photo, video, document. */
  readonly kinds: readonly string[];
  readonly messages: number;
}

/** One run: an archive over a link with a budget, in a child process; its row of the table. */
async function runOne(archive: LinkArchive, link: NamedLink, parts: number, connections: number, cacheDir: string): Promise<{ row: Row; ratio: number; rss: number; wallMs: number }> {
  const state = join(cacheDir, 'run-link-state');
  await rm(state, { recursive: true, force: true });
  flushWrites();
  const temp = peakUsage(join(state, 'tmp'));
  const onTick = async () => {
    await temp.sample();
  };
  try {
    const run = await measure({ command: process.execPath, args: [child, archive.path, state, String(link.roundTripMs), String(link.bytesPerSecond), String(parts), String(connections)] }, { onTick });
    const last = run.stdout.trimEnd().split('\n').reverse().find((line) => line.startsWith('{'));
    if (run.code !== 0 || !last) throw new Error(`link bench child failed (exit ${run.signal ?? run.code}): ${run.stderr.trim().split('\n').at(-1) ?? ''}`);
    const result = JSON.parse(last) as ChildResult;
    const bytes = archive.sizes.reduce((sum, size) => sum + size, 0);
    const floor = linkFloor({ bytes, albums: result.albums.length }, link);
    const bound = linkBound({ bytes, albums: result.albums.length }, link);
    const ratio = result.link.wallMs / floor;
    const twoAlbums = Math.max(...result.albums.map((size, index) => size + (result.albums[index + 1] ?? 0)));
    return {
      ratio,
      rss: run.memory.peakBytes,
      wallMs: result.link.wallMs,
      row: {
        link: link.name,
        archive: `${archive.name} (${result.kinds.join('+')})`,
        parts: String(parts),
        connections: connections === 1 ? '1' : '2, fair',
        MB: megabytes(bytes),
        albums: String(result.albums.length),
        'wall s': seconds(result.link.wallMs),
        'floor s': seconds(floor),
        ratio: times(ratio),
        'bound s': seconds(bound),
        'to bound': times(result.link.wallMs / bound),
        'mean in flight': result.link.meanInFlight.toFixed(1),
        'max in flight': String(result.link.maxInFlight),
        'peak RSS MB': megabytes(run.memory.peakBytes),
        'peak temp MB': megabytes(temp.peak.bytes),
        'two albums MB': megabytes(twoAlbums),
      },
    };
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}

/**
 * Sends ~150 photos and 4 videos through the whole pipeline and the Telegram sink over the link
 * model (100 ms and 8 MB/s, 300 ms and 2 MB/s, 40 ms and 40 MB/s; budgets of 4 to 16 parts in
 * flight, the slow link with the default only), one child process per run for its peak RSS, and
 * reports the wall time from the first request to the last answer against the link's floor
 * ({@link linkFloor}) and the tighter bound ({@link linkBound}), the requests in flight, peak RSS
 * and peak temp bytes, against {@link linkTargets}; then the photos over a what-if of two
 * connections sharing the uplink fairly (parts on one, the rest on the other). Each run `repeat` times: the row is the run of
 * median wall time, with the highest peak RSS of all.
 *
 * @return The report's lines.
 */
export async function runLinkUpload(cacheDir: string, repeat: number, progress: (line: string) => void): Promise<string[]> {
  const archives = await linkArchives(cacheDir, progress);
  const rows: Row[] = [];
  const verdicts: string[] = [];
  // Every budget over each link (the slow one: the default only), then the what-if of a second
  // connection for the photos, whose sends are what waits behind the parts.
  const plan = [
    ...links.flatMap((link) => (link === links[1] ? [defaultPartsInFlight] : budgets).flatMap((parts) => archives.map((archive) => ({ link, parts, archive, connections: 1 })))),
    ...[links[0]!, links[2]!].flatMap((link) => [defaultPartsInFlight, 16].map((parts) => ({ link, parts, archive: archives[0]!, connections: 2 }))),
  ];
  for (const { link, parts, archive, connections } of plan) {
    const runs = [];
    for (let run = 1; run <= repeat; run++) {
      progress(`link: ${archive.name} over ${link.name}, ${parts} parts in flight, ${connections} connection(s) (run ${run} of ${repeat})`);
      runs.push(await runOne(archive, link, parts, connections, cacheDir));
    }
    // The run of median wall time, whole: its row's numbers belong together.
    const { row, ratio } = runs.sort((a, b) => a.wallMs - b.wallMs)[Math.floor((runs.length - 1) / 2)]!;
    const rss = Math.max(...runs.map((each) => each.rss));
    rows.push({ ...row, 'peak RSS MB': megabytes(rss), 'wall s (all runs)': runs.map((each) => seconds(each.wallMs)).join(' ') });
    if (parts !== defaultPartsInFlight || connections !== 1) continue;
    const target = archive.name === 'photos' ? linkTargets.photos : linkTargets.videos;
    verdicts.push(`${archive.name} over ${link.name}: ${times(ratio)} the floor (target ${times(target)}: ${ratio <= target ? 'within' : 'OVER'}), peak RSS ${megabytes(rss)} MB (${rss <= linkTargets.rssBytes ? 'within' : 'OVER'})`);
  }
  return [...table(rows), '', ...verdicts];
}
