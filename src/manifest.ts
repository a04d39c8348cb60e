import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { EntryRef } from './entry.js';
import { ConfigError, describeError } from './errors.js';

/** The manifest format version this build writes and reads. */
export const manifestVersion = 1;

/** Why an entry was not delivered, as recorded. */
export interface OutcomeRecord {
  readonly state: 'skipped' | 'failed';
  readonly name: string;
  readonly reason: string;
  readonly detail: string;
}

/** Which archive a manifest belongs to. */
export interface ArchiveIdentity {
  /** The archive as the user named it. */
  readonly source: string;
  /** Its absolute path. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly format: string;
  /** See {@link Archive.fingerprint}. */
  readonly fingerprint: string;
}

/** What a manifest file holds (versioned JSON; see the README). Never a token or a secret. */
export interface ManifestData {
  version: number;
  archive: ArchiveIdentity;
  /** Settings that change how entries are grouped: resuming with others would regroup. */
  settings: { albumSize: number };
  /** Number of entries in the archive, once known. */
  entryCount?: number;
  /** Every entry before this index is delivered, skipped or failed. */
  nextIndex: number;
  /** Delivered entries as inclusive index ranges, merged: `[[0, 41], [43, 99]]`. */
  delivered: [number, number][];
  deliveredBytes: number;
  albumsDelivered: number;
  /** Entries not delivered, by index, with the reason. */
  outcomes: Record<string, OutcomeRecord>;
  /** Set when the archive broke part way: what was lost, in words. */
  broken?: string;
  startedAt: string;
  updatedAt: string;
}

function addToRanges(ranges: [number, number][], index: number): void {
  // Entries are settled nearly in order, so the common case touches only the last range.
  let at = ranges.length;
  while (at > 0 && ranges[at - 1]![0] > index) at--;
  const before = ranges[at - 1];
  const after = ranges[at];
  if (before && before[1] >= index) return;
  if (before && before[1] === index - 1) {
    before[1] = index;
    if (after && after[0] === index + 1) {
      before[1] = after[1];
      ranges.splice(at, 1);
    }
  } else if (after && after[0] === index + 1) {
    after[0] = index;
  } else {
    ranges.splice(at, 0, [index, index]);
  }
}

function inRanges(ranges: readonly [number, number][], index: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [first, last] = ranges[middle]!;
    if (index < first) high = middle - 1;
    else if (index > last) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * The record of one archive's delivery, kept at `<state>/manifests/<archive-id>.json`: which
 * entries are delivered, skipped or failed. Every save replaces the file atomically.
 */
export class Manifest {
  private constructor(readonly file: string, readonly data: ManifestData) {}

  /** A new, empty manifest for an archive. */
  static create(file: string, archive: ArchiveIdentity, settings: ManifestData['settings']): Manifest {
    const now = new Date().toISOString();
    return new Manifest(file, {
      version: manifestVersion,
      archive,
      settings,
      nextIndex: 0,
      delivered: [],
      deliveredBytes: 0,
      albumsDelivered: 0,
      outcomes: {},
      startedAt: now,
      updatedAt: now,
    });
  }

  /**
   * Reads a manifest, or returns `undefined` if there is none. An unreadable, corrupt or newer
   * manifest is a {@link ConfigError}: it is never silently replaced.
   */
  static async load(file: string): Promise<Manifest | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ConfigError(`cannot read the manifest ${file}: ${describeError(error)}`);
    }
    let data: ManifestData;
    try {
      data = JSON.parse(text) as ManifestData;
    } catch (error) {
      throw new ConfigError(`the manifest ${file} is corrupt (${describeError(error)}); use --restart to discard it`);
    }
    if (typeof data !== 'object' || data === null || typeof data.version !== 'number') {
      throw new ConfigError(`the manifest ${file} is not an unspool manifest; use --restart to discard it`);
    }
    if (data.version > manifestVersion) {
      throw new ConfigError(`the manifest ${file} was written by a newer unspool (format ${data.version}); upgrade unspool`);
    }
    return new Manifest(file, data);
  }

  /** Whether an entry needs no more work: delivered, or skipped, or failed (unless retrying). */
  isSettled(index: number, retryFailed = false): boolean {
    if (inRanges(this.data.delivered, index)) return true;
    const outcome = this.data.outcomes[index];
    return outcome !== undefined && !(retryFailed && outcome.state === 'failed');
  }

  /** Records a delivered entry. */
  delivered(entry: EntryRef): void {
    addToRanges(this.data.delivered, entry.index);
    delete this.data.outcomes[entry.index];
    this.data.deliveredBytes += entry.size;
    this.advance();
  }

  /** Records an entry that was skipped or failed. */
  settle(entry: EntryRef, outcome: Omit<OutcomeRecord, 'name'>): void {
    this.data.outcomes[entry.index] = { ...outcome, name: entry.name };
    this.advance();
  }

  private advance(): void {
    while (this.isSettled(this.data.nextIndex)) this.data.nextIndex++;
  }

  /** Writes the manifest: to a temp file, fsynced, renamed over the old one. */
  async save(): Promise<void> {
    this.data.updatedAt = new Date().toISOString();
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(this.data, null, 1)}\n`, { fsync: true });
  }
}
