import type { Entry, MediaType } from './entry.js';
import type { FailReason, SkipReason, UndeliveredReason } from './reasons.js';

/** An entry written to a temp file in `<state>/tmp/`, checked against its declared size and CRC. */
export interface TempFile {
  /** The entry it came from; still held, so the source waits until it is released. */
  readonly entry: Entry;
  /** Absolute path of the temp file; a generated name, never the entry's name. */
  readonly path: string;
  /** Bytes written. */
  readonly size: number;
  /** The media type, refined from the file's first bytes. */
  readonly media: MediaType;
}

/**
 * A group of at most 10 temp files that a sink delivers together. Its `id` is decided before the
 * sink sees it and is how a sink recognises an album it has already taken.
 */
export interface Album {
  /** 16 hex digits, unique per album; a repeated delivery of the same id is a no-op. */
  readonly id: string;
  /** Which files may share it: photos and videos, audio, or documents. */
  readonly group: AlbumGroup;
  /** The files, in archive order. */
  readonly files: readonly TempFile[];
  /**
   * The entry whose arrival made this album go, if any. The source waits for it, so it is released
   * only when the album's delivery starts (or, with no album ahead, when the album is done with):
   * that is what keeps at most two albums of files on disk (one).
   */
  readonly trigger?: Entry;
}

/** The Telegram mixing rule: photos and videos together, audio alone, documents alone. */
export type AlbumGroup = 'visual' | 'audio' | 'document';

/** What a sink says about a delivered album: where it went, for the manifest and the summary. */
export interface Receipt {
  /** Per file, in album order: where the sink put it (a folder path, a Telegram message id). */
  readonly items: readonly string[];
}

/**
 * Why an entry was not delivered, as a short stable code plus words for people: a
 * {@link SkipReason} for an entry skipped, a {@link FailReason} for one that failed.
 */
export interface Outcome<R extends SkipReason | FailReason = SkipReason | FailReason> {
  readonly entry: Entry;
  /** Short, stable: `empty`, `link`, `bomb`, `too-large`, `crc-mismatch`, `truncated`, `no-room`, … */
  readonly reason: R;
  /** What happened, in words. */
  readonly detail: string;
}

/**
 * What flows through the pipeline. Each operator handles its own kinds and passes the others on
 * unchanged and in order, so one `pipe` of operators carries both the work and the notices that a
 * progress display, a summary or a bot shows.
 */
export type Step =
  /** The archive is open and the run begins; `settled` entries were done by earlier runs. */
  | {
      readonly kind: 'opened';
      readonly archive: string;
      readonly format: string;
      readonly size: number;
      readonly entryCount?: number;
      readonly settled: number;
      /** Where this archive's manifest is kept. */
      readonly manifestFile: string;
      /** For an archive read over the network: bytes received so far, read live. */
      readonly network?: { readonly bytesFetched: number };
    }
  /** An entry read from the archive, not yet written anywhere. */
  | { readonly kind: 'entry'; readonly entry: Entry }
  /** An entry written to a temp file. */
  | { readonly kind: 'materialised'; readonly file: TempFile }
  /** A group of temp files ready for the sink. */
  | { readonly kind: 'album'; readonly album: Album }
  /**
   * The sink has been handed this album: its delivery starts now. Emitted by `deliver` when it
   * runs an album ahead; the album's entries are released with it, so that the source reads the
   * next album while this one is on its way.
   */
  | { readonly kind: 'delivering'; readonly album: Album }
  /** The sink confirmed an album; its temp files are gone. */
  | { readonly kind: 'delivered'; readonly album: Album; readonly receipt: Receipt }
  /** The sink did not take an album after every attempt; its files are deleted and its entries failed. */
  | {
      readonly kind: 'undelivered';
      readonly album: Album;
      readonly reason: UndeliveredReason;
      readonly detail: string;
      readonly attempts: number;
    }
  /** An entry deliberately not delivered (directory, empty, link, encrypted, …). */
  | ({ readonly kind: 'skipped' } & Outcome<SkipReason>)
  /**
   * An entry that could not be delivered: corrupt, truncated, or too large for the volume. (Entries
   * the sink refused come as `undelivered`, album by album.)
   */
  | ({ readonly kind: 'failed' } & Outcome<FailReason>)
  /**
   * Waiting for free space: `free` bytes free (less what other jobs sharing a space ledger were
   * promised), `needed` bytes wanted (threshold plus entry).
   */
  | { readonly kind: 'paused'; readonly free: number; readonly needed: number; readonly entry: Entry }
  /** Free space is back. */
  | { readonly kind: 'resumed'; readonly free: number; readonly entry: Entry }
  /**
   * The run was paused (the bot's /pause): this entry waits, unread, and the source reads nothing
   * more until it is resumed. The files already waiting go out as albums right behind this step.
   */
  | { readonly kind: 'held'; readonly entry: Entry }
  /** The run was resumed (the bot's /resume): the held entry goes on, right behind this step. */
  | { readonly kind: 'released'; readonly entry: Entry }
  /** The archive stopped being readable part way: what was read is delivered, the rest is lost. */
  | { readonly kind: 'broken'; readonly archive: string; readonly detail: string }
  /** The manifest now records everything up to this step. */
  | { readonly kind: 'checkpoint'; readonly nextIndex: number };

/** The steps of one kind. */
export type StepOf<K extends Step['kind']> = Extract<Step, { kind: K }>;

/** Every entry a step holds, so that the end of the pipeline can release them. */
export function entriesOf(step: Step): readonly Entry[] {
  switch (step.kind) {
    case 'entry':
    case 'skipped':
    case 'failed':
      return [step.entry];
    case 'materialised':
      return [step.file.entry];
    case 'album':
    case 'delivering':
    case 'delivered':
    case 'undelivered':
      return [...step.album.files.map((file) => file.entry), ...(step.album.trigger ? [step.album.trigger] : [])];
    default:
      return [];
  }
}
