import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EntryRef } from '../entry.js';
import type { SentMessages, UploadRecord } from '../sinks/sink.js';
import type { Receipt } from '../step.js';
import { crashPoint } from '../crashPoint.js';
import { writeFileDurably } from './durableFile.js';
import { addToRanges, inRanges } from './ranges.js';
import { ConfigError, describeError } from '../errors.js';
import type { RecordedReason, Reason } from '../reasons.js';

/** The manifest format version this build writes and reads. */
export const manifestVersion = 1;

/** Why an entry was not delivered, as recorded. */
export interface OutcomeRecord {
  readonly state: 'skipped' | 'failed';
  readonly name: string;
  readonly reason: RecordedReason;
  readonly detail: string;
  /** Delivery attempts made, for entries that failed in the sink. */
  readonly attempts?: number;
}

/**
 * What a run can do that earlier runs could not, and so which of their outcomes it attempts again
 * instead of counting them as settled.
 */
export interface ResumeConfig {
  /** Attempt entries that failed again (`--retry-failed`). Default: false. */
  readonly retryFailed?: boolean | undefined;
  /**
   * A password is given: attempt again the entries that an earlier run skipped as `encrypted` (it
   * had none) or failed as `wrong-password`. Default: false.
   */
  readonly password?: boolean | undefined;
}

/** Reasons that a password may change: an encrypted entry read without one, or with a wrong one. */
const passwordReasons: ReadonlySet<string> = new Set<Reason>(['encrypted', 'wrong-password']);

/** Whether an entry's outcome waits for a password: skipped as `encrypted` or failed as `wrong-password`. */
export function awaitsPassword(outcome: OutcomeRecord): boolean {
  return passwordReasons.has(outcome.reason);
}

/** Whether a run with `config` attempts an entry with this outcome again. */
function attemptsAgain(outcome: OutcomeRecord, config: ResumeConfig): boolean {
  return (config.retryFailed === true && outcome.state === 'failed') || (config.password === true && awaitsPassword(outcome));
}

/**
 * An album handed to the sink and not yet confirmed. Recorded before the sink is called, so that
 * after a crash the same entries are sent again under the same id, which the sink recognises.
 */
export interface InFlightRecord {
  /** The entry indexes of the album's files, in album order. */
  readonly entries: readonly number[];
  readonly group: string;
}

/** Which archive a manifest belongs to. */
export interface ArchiveIdentity {
  /** The archive as the user named it (an address with its query string redacted). */
  readonly source: string;
  /** Its absolute path, or its address without the query string. */
  readonly path: string;
  readonly size: number;
  /** The file's modification time; 0 for a remote archive. */
  readonly mtimeMs: number;
  readonly format: string;
  /** See {@link Archive.fingerprint}. */
  readonly fingerprint: string;
  /** A remote archive's HTTP validators when it was first read, for people reading the manifest. */
  readonly validators?: { readonly etag?: string; readonly lastModified?: string };
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
  /** Albums handed to the sink and not yet confirmed, by album id. */
  inFlight: Record<string, InFlightRecord>;
  /**
   * Uploads in progress, by entry index (`"12"`, or `"12/3"` for a piece of a split file): the
   * file id and the parts the sink confirmed, so that a run after a crash sends only the missing
   * parts. Forgotten once the entry is settled.
   */
  uploads?: Record<string, UploadRecord>;
  /**
   * Messages the sink's sends posted for albums in flight, by album id, then by `random_id`:
   * Telegram's message id, or `null` when Telegram said it had the message without its id. A run
   * after a crash does not make a send again whose messages are all here. Forgotten once the album
   * is confirmed or given up on.
   */
  sent?: Record<string, Record<string, number | null>>;
  /** Set when the archive broke part way: what was lost, in words. */
  broken?: string;
  /**
   * When a run last read the archive to its end (every entry delivered, skipped or failed);
   * cleared when a run starts. How the bot knows an archive sent again was delivered before.
   */
  completedAt?: string;
  startedAt: string;
  updatedAt: string;
}

/** What is missing or mistyped in parsed manifest JSON, in words, or `undefined` if nothing is. */
function missingField(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not a JSON object';
  const record = data as Record<string, unknown>;
  const archive = record.archive as Record<string, unknown> | undefined;
  const checks: [string, boolean][] = [
    ['version', typeof record.version === 'number'],
    ['archive', typeof archive === 'object' && archive !== null && typeof archive.size === 'number'],
    ['nextIndex', Number.isSafeInteger(record.nextIndex) && (record.nextIndex as number) >= 0],
    ['delivered', Array.isArray(record.delivered) && record.delivered.every((range) => Array.isArray(range) && range.length === 2 && range.every(Number.isSafeInteger))],
    ['deliveredBytes', typeof record.deliveredBytes === 'number'],
    ['albumsDelivered', typeof record.albumsDelivered === 'number'],
    ['outcomes', typeof record.outcomes === 'object' && record.outcomes !== null],
    ['inFlight', record.inFlight === undefined || (typeof record.inFlight === 'object' && record.inFlight !== null)],
  ];
  const bad = checks.filter(([, ok]) => !ok).map(([name]) => name);
  return bad.length ? `bad or missing: ${bad.join(', ')}` : undefined;
}

/**
 * The record of one archive's delivery, kept at `<state>/manifests/<archive-id>.json`: which
 * entries are delivered, skipped or failed. Every save replaces the file atomically.
 */
export class Manifest {
  private constructor(readonly file: string, readonly data: ManifestData) {}

  /** The last save asked for, which the next one waits for. */
  private saving: Promise<void> = Promise.resolve();

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
      inFlight: {},
      startedAt: now,
      updatedAt: now,
    });
  }

  /**
   * Reads a manifest, or returns `undefined` if there is none. An unreadable, corrupt, incomplete
   * or newer manifest is a {@link ConfigError} that names the archive: it is never silently
   * replaced.
   *
   * @param file The manifest file.
   * @param archive The archive it belongs to, as the user named it, for messages.
   */
  static async load(file: string, archive: string): Promise<Manifest | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ConfigError(`${archive}: cannot read its manifest ${file}: ${describeError(error)}`);
    }
    let data: ManifestData;
    try {
      data = JSON.parse(text) as ManifestData;
    } catch (error) {
      throw new ConfigError(`${archive}: its manifest ${file} is corrupt (${describeError(error)}); use --restart to discard it`);
    }
    if (typeof data === 'object' && data !== null && typeof data.version === 'number' && data.version > manifestVersion) {
      throw new ConfigError(`${archive}: its manifest ${file} was written by a newer unspool (format ${data.version}); upgrade unspool`);
    }
    const missing = missingField(data);
    if (missing) throw new ConfigError(`${archive}: its manifest ${file} is not a whole unspool manifest (${missing}); use --restart to discard it`);
    data.inFlight ??= {};
    return new Manifest(file, data);
  }

  /**
   * Whether an entry needs no more work: delivered, or skipped, or failed, unless `config` says
   * this run attempts its outcome again (see {@link ResumeConfig}).
   */
  isSettled(index: number, config: ResumeConfig = {}): boolean {
    if (inRanges(this.data.delivered, index)) return true;
    const outcome = this.data.outcomes[index];
    return outcome !== undefined && !attemptsAgain(outcome, config);
  }

  /** How many entries are settled, in the sense of {@link isSettled} with the same `config`. */
  settledCount(config: ResumeConfig = {}): number {
    const delivered = this.data.delivered.reduce((sum, [first, last]) => sum + last - first + 1, 0);
    return delivered + Object.values(this.data.outcomes).filter((outcome) => !attemptsAgain(outcome, config)).length;
  }

  /** Records a delivered entry. */
  delivered(entry: EntryRef): void {
    addToRanges(this.data.delivered, entry.index);
    delete this.data.outcomes[entry.index];
    this.forgetUploads(entry.index);
    this.data.deliveredBytes += entry.size;
    this.advance();
  }

  /**
   * Records an entry that was skipped or failed. If it belonged to an album in flight, it leaves
   * that record (an album left with no entries is forgotten).
   */
  settle(entry: EntryRef, outcome: Omit<OutcomeRecord, 'name'>): void {
    this.data.outcomes[entry.index] = { ...outcome, name: entry.name };
    this.forgetUploads(entry.index);
    for (const [id, record] of Object.entries(this.data.inFlight)) {
      if (!record.entries.includes(entry.index)) continue;
      const entries = record.entries.filter((index) => index !== entry.index);
      if (entries.length === 0) this.landed(id);
      else this.data.inFlight[id] = { ...record, entries };
    }
    this.advance();
  }

  private advance(): void {
    while (this.isSettled(this.data.nextIndex)) this.data.nextIndex++;
  }

  /** Records how far an upload got (`undefined` forgets it); see {@link UploadJournal} for keys. */
  upload(key: string, record: UploadRecord | undefined): void {
    if (record) (this.data.uploads ??= {})[key] = record;
    else if (this.data.uploads) {
      delete this.data.uploads[key];
      if (Object.keys(this.data.uploads).length === 0) delete this.data.uploads;
    }
  }

  /** Forgets every upload record of an entry. */
  private forgetUploads(index: number): void {
    for (const key of Object.keys(this.data.uploads ?? {})) {
      if (key === String(index) || key.startsWith(`${index}/`)) this.upload(key, undefined);
    }
  }

  /** Records an album as handed to the sink; call {@link save} before the sink sees it. */
  inFlight(id: string, record: InFlightRecord): void {
    this.data.inFlight[id] = record;
  }

  /** The append-only log of delivered albums and the sink's receipts, beside the manifest. */
  get journal(): string {
    return this.file.replace(/\.json$/, '.albums.jsonl');
  }

  /**
   * Appends a delivered album, with the sink's receipt (message ids, or where the files went), to
   * the {@link journal}. Kept apart from the manifest so that the manifest, rewritten after every
   * album, stays small however long the archive. The manifest is what resuming trusts, so the
   * journal is not fsynced: a power cut may lose its last lines, never the delivery state. A line
   * may repeat after a crash; readers keep the last line per album id.
   */
  async logDelivered(id: string, entries: readonly number[], receipt: Receipt): Promise<void> {
    // A run saves its manifest before the first album, but the operators may be used without one.
    const handle = await open(this.journal, 'a').catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(this.journal), { recursive: true });
      return open(this.journal, 'a');
    });
    try {
      await handle.write(`${JSON.stringify({ album: id, entries, receipt: receipt.items, at: new Date().toISOString() })}\n`);
    } finally {
      await handle.close();
    }
  }

  /** Forgets an album that the sink confirmed or gave up on, with the messages it recorded for it. */
  landed(id: string): void {
    delete this.data.inFlight[id];
    if (this.data.sent) {
      delete this.data.sent[id];
      if (Object.keys(this.data.sent).length === 0) delete this.data.sent;
    }
  }

  /** The messages recorded as posted for an album in flight, by `random_id`. */
  sentFor(id: string): SentMessages {
    return this.data.sent?.[id] ?? {};
  }

  /** Records messages posted for an album in flight; call {@link save} to make it last. */
  posted(id: string, messages: SentMessages): void {
    const sent = (this.data.sent ??= {});
    sent[id] = { ...sent[id], ...messages };
  }

  /**
   * Writes the manifest durably (see {@link writeFileDurably}): to a temp file that is fsynced and
   * renamed over the old one, then the folder is fsynced so that the rename itself survives a power
   * cut. Whenever the process dies, the file on disk is the old manifest or the new one, whole.
   */
  async save(): Promise<void> {
    this.data.updatedAt = new Date().toISOString();
    const text = `${JSON.stringify(this.data)}\n`;
    // Saves start in the order they are asked for, so an older snapshot never lands over a newer
    // one (a sink's record of a send, say, saved while upload progress is being saved).
    const write = this.saving.catch(() => undefined).then(() => writeFileDurably(this.file, text, () => crashPoint('manifest-write')));
    this.saving = write;
    await write;
  }

}
