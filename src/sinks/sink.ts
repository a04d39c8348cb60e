import type { ObservableInput } from 'rxjs';
import type { MediaType } from '../entry.js';
import type { Album, Receipt, TempFile } from '../step.js';

/**
 * How far the upload of one file got, as a sink that uploads in parts (Telegram) records it, so
 * that a run after a crash sends only the parts still missing. Kept in the manifest by entry index.
 */
export interface UploadRecord {
  /** The upload's file id, chosen by the sink (a decimal 64-bit integer). */
  readonly fileId: string;
  /** Bytes of the file, to tell a stale record from a current one. */
  readonly size: number;
  /** Bytes per part. */
  readonly partSize: number;
  /** The parts the server confirmed, as merged inclusive ranges: `[[0, 41], [43, 99]]`. */
  readonly parts: [number, number][];
}

/**
 * The messages a sink's sends posted, by the `random_id` each went under: Telegram's message id,
 * or `null` for a message Telegram has (it answered that the `random_id` was used before) without
 * saying its id.
 */
export type SentMessages = Readonly<Record<string, number | null>>;

/**
 * Where a sink keeps what it did for the album in flight, between attempts and across crashes: how
 * far each upload got ({@link UploadRecord}s), and which of its sends Telegram answered.
 *
 * Upload keys are an entry's index (`"12"`), or its index and a piece (`"12/3"`) for a file sent in
 * pieces; every record of an entry is forgotten once the entry is settled. Answers are kept by album
 * id, and forgotten once the album is confirmed or given up on.
 */
export interface UploadJournal {
  /** The record under a key, if an earlier attempt or run left one. */
  get(key: string): UploadRecord | undefined;
  /** Replaces the record under a key (`undefined` forgets it); written to disk soon, not at once. */
  put(key: string, record: UploadRecord | undefined): void;
  /** The messages an earlier attempt or run of this album posted, by `random_id`. */
  sent(album: string): SentMessages;
  /**
   * Adds the messages one answer of Telegram's proved posted, and resolves once they are on disk: a
   * sink makes its next request only then, so that a crash never forgets a send that was answered.
   */
  recordSent(album: string, messages: SentMessages): Promise<void>;
}

/** What the pipeline tells a sink besides the album itself. */
export interface DeliveryContext {
  /** The archive as the user named it. */
  readonly archive: string;
  /** Entries in the archive, when the format tells up front (zip). */
  readonly total?: number | undefined;
  /** Upload progress and the sends Telegram answered, which survive a crash. */
  readonly uploads: UploadJournal;
}

/**
 * Where albums go: a folder ({@link dirSink}) or a Telegram chat. The contract that exactly-once
 * delivery is built on:
 * - `deliver` takes an album's temp files (it may move or copy them) and resolves once the album is
 *   safely stored; it rejects with a {@link SinkError} (optionally with a retry-after hint) otherwise.
 * - Delivering an album whose `id` the sink has already taken is a no-op that resolves with the
 *   same receipt, so re-sending an album after a crash cannot duplicate it.
 */
export interface Sink {
  /** A short description for messages, such as `dir:/sdcard/out`. */
  readonly name: string;
  /**
   * Delivers one album; see the contract above. Returns a promise, or an Observable that emits
   * the receipt once. `signal` aborts a delivery in progress.
   */
  deliver(album: Album, signal: AbortSignal, context?: DeliveryContext): ObservableInput<Receipt>;
  /**
   * Starts on the album next in line while the album before it is still being delivered (the
   * Telegram sink uploads its files and has Telegram store them), so that its `deliver` has less
   * left to do. Optional and best effort: `deliver` works whether `prepare` ran, finished, failed
   * or was aborted, a rejection is ignored, and nothing may be posted before `deliver` is called
   * (albums appear in archive order). `signal` aborts it.
   */
  prepare?(album: Album, signal: AbortSignal, context?: DeliveryContext): Promise<void>;
  /**
   * The media type this sink will deliver a file as, when it differs from the file's own: Telegram
   * sends a photo over its size or shape limits as a document, which then may not share an album
   * with photos. Asked once per file, before grouping. Default: the file's own type.
   */
  classify?(file: TempFile): Promise<MediaType>;
  /**
   * The largest file this sink takes, in bytes; larger entries are skipped as `too-large` before a
   * byte is written (unless `--max-entry-size` says otherwise). Default: no limit.
   */
  readonly maxFileSize?: number;
  /** Lets go of connections; called once when the run is over. */
  close?(): Promise<void>;
}
