/**
 * The few kinds of error unspool reports. Each message is one line a person can act on and names
 * the archive, and the entry where there is one. Expected outcomes (an entry skipped or failed) are
 * data in the pipeline, not exceptions.
 */

import type { ReadFailReason, SinkReason, UndeliveredReason } from './reasons.js';

/** The archive as a whole cannot be read: not an archive, no central directory, unreadable file. */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  /**
   * @param archive The archive as the user named it.
   * @param reason What is wrong, in words.
   */
  constructor(readonly archive: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`${archive}: ${reason}`, options);
  }
}

/**
 * The archive cannot be listed without its password (a 7z or RAR archive whose names are
 * encrypted): none was given (`given` false), or the one given is wrong. The CLI says to give
 * `--password`; the bot asks for `/pass`.
 */
export class PasswordNeededError extends ArchiveError {
  /**
   * @param archive The archive as the user named it.
   * @param given Whether a password was given (and so is wrong).
   */
  constructor(archive: string, readonly given: boolean, options?: { cause?: unknown }) {
    super(
      archive,
      given ? 'wrong password: its names are encrypted, and cannot be read without the right one' : 'its names are encrypted: give the password (--password, or /pass to the bot)',
      options,
    );
  }
}

/**
 * The archive stopped being readable part way, after some entries were read: a truncated
 * download, corrupt compressed data, a bad header. Any source that reads its archive in one pass
 * may raise it; the pipeline delivers what was read and reports the rest as lost. The entries
 * before `index` were read; those from `index` on are lost.
 */
export class ArchiveBrokenError extends ArchiveError {
  /**
   * @param archive The archive as the user named it.
   * @param index The first entry lost (0-based, in archive order).
   * @param reason What is wrong, in words.
   */
  constructor(archive: string, readonly index: number, reason: string, options?: { cause?: unknown }) {
    super(archive, reason, options);
  }
}

/** One entry could not be materialised; the run goes on with the next. */
export class EntryError extends Error {
  override readonly name = 'EntryError';
  /**
   * @param archive The archive as the user named it.
   * @param entry The entry's name as stored.
   * @param reason A short, stable reason code (`crc-mismatch`, `size-mismatch`, `wrong-password`, …).
   * @param detail What happened, in words.
   */
  constructor(
    readonly archive: string,
    readonly entry: string,
    readonly reason: ReadFailReason,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${archive}: ${entry}: ${detail}`, options);
  }
}

/**
 * An entry's data ends before the entry does: the archive, or its download, is cut short inside
 * it. Sources raise it where they see the cut; the entry fails as `truncated`, and the message
 * says what the reader saw.
 */
export class TruncatedError extends Error {
  override readonly name = 'TruncatedError';
}

/**
 * The sink refused or failed to take an album. `reason` is short and stable (it becomes the failed
 * entries' reason after the last attempt); `retryAfter` is the sink's hint, in milliseconds; a
 * refusal that is not `retryable` fails the album without spending the remaining attempts.
 */
export class SinkError extends Error {
  override readonly name = 'SinkError';
  /** The sink's own reason, or the name of the error Telegram answered with. */
  readonly reason: UndeliveredReason;
  readonly retryAfter: number | undefined;
  /** Whether another attempt may succeed; `false` for refusals that no retry changes. */
  readonly retryable: boolean;
  /**
   * @param message What happened, in words.
   * @param options `reason` (default `sink-error`), `retryAfter` in milliseconds, `retryable`
   * (default true), and `cause`.
   */
  constructor(message: string, options: { reason?: UndeliveredReason; retryAfter?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.reason = options.reason ?? ('sink-error' satisfies SinkReason);
    this.retryAfter = options.retryAfter;
    this.retryable = options.retryable ?? true;
  }
}

/**
 * The destination or the source stayed out of reach for longer than the run may wait (the CLI's
 * `--network-wait`). Nothing is lost: the run stops with its manifest consistent, and running the
 * same command again resumes it. It stops the whole run rather than failing an album, since no
 * album would fare better.
 */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/** A usage or configuration mistake: a bad option, a missing setting, a state dir in use. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The text of any thrown value, without a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
