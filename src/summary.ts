import type { ArchiveReason, RecordedReason } from './reasons.js';
import type { ManifestData } from './state/manifest.js';

/** One entry not delivered, as the summary lists it. */
export interface SummaryItem {
  readonly entry: string;
  /** A reason from the README's table, or the name of an error Telegram answered with. */
  readonly reason: RecordedReason;
  readonly detail: string;
}

/** The result of a run, as `--json` prints it (the last line on stdout). */
export interface Summary {
  /** The archive as the user named it. */
  readonly source: string;
  /** Entries in the archive (directories included), when known. */
  readonly entries: number | null;
  /** Entries delivered, over all runs. */
  readonly delivered: number;
  /** Bytes delivered, over all runs. */
  readonly deliveredBytes: number;
  /** Albums delivered, over all runs. */
  readonly albums: number;
  /** Directories, which are never delivered and so are only counted. */
  readonly directories: number;
  readonly skipped: readonly SummaryItem[];
  readonly failed: readonly SummaryItem[];
}

/**
 * Summarises a manifest. A broken archive adds a failed item for the entries that were lost.
 */
export function summarise(data: ManifestData): Summary {
  const outcomes = Object.values(data.outcomes);
  const item = ({ name, reason, detail }: (typeof outcomes)[number]) => ({ entry: name, reason, detail });
  const failed = outcomes.filter((outcome) => outcome.state === 'failed').map(item);
  if (data.broken) failed.push({ entry: '(the rest of the archive)', reason: 'archive-broken' satisfies ArchiveReason, detail: data.broken });
  return {
    source: data.archive.source,
    entries: data.entryCount ?? null,
    delivered: data.delivered.reduce((sum, [first, last]) => sum + last - first + 1, 0),
    deliveredBytes: data.deliveredBytes,
    albums: data.albumsDelivered,
    directories: outcomes.filter((outcome) => outcome.reason === 'directory').length,
    skipped: outcomes.filter((outcome) => outcome.state === 'skipped' && outcome.reason !== 'directory').map(item),
    failed,
  };
}
