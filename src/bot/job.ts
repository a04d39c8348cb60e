/**
 * A job of the bot: one archive to deliver, as the queue keeps it. Everything here may be written
 * to disk: a job holds no token, no password and no signed part of an address.
 */

/** Where a command came from, and so where its replies and notices go. */
export type ChatRef =
  | { readonly kind: 'user'; readonly id: string; readonly accessHash: string }
  | { readonly kind: 'chat'; readonly id: string }
  | { readonly kind: 'channel'; readonly id: string; readonly accessHash: string };

/**
 * Where a job is: `waiting` in line, `running`, `cancelled` by its owner (its manifest kept for
 * `/retry`), `done` (every entry delivered, skipped or failed), or `failed` when the archive
 * could not be read at all or a setting was wrong.
 */
export type JobState = 'waiting' | 'running' | 'cancelled' | 'done' | 'failed';

/** What a job has done, as last seen: for `/queue`, and for the owner after a restart. */
export interface JobProgress {
  /** Entries delivered, over every run of this archive. */
  readonly delivered: number;
  readonly deliveredBytes: number;
  readonly albums: number;
  readonly skipped: number;
  readonly failed: number;
  /** Entries in the archive, once known. */
  readonly entries?: number;
}

/** One archive to deliver, with how and where. */
export interface Job {
  /** Its number, from 1, never reused: what `/status 3` and `/cancel 3` name. */
  readonly id: number;
  /**
   * What to read: a path, an address, `torbox:<id>` or `tg:<chat>/<message-id>`. An address whose
   * query string or user info may hold a token is kept without them; `secretLink` is then set.
   */
  source: string;
  /** The archive as shown to people: a file name, or the address redacted. */
  readonly name: string;
  /**
   * Set when `source` lost a secret part (a signed link's token) on its way to disk: the whole
   * link is kept in memory only, so after a restart the bot asks for it again before going on.
   */
  secretLink?: boolean;
  /** Where its albums go, as the owner named it (`@channel`, `-100…`); absent: the chat it was given in. */
  readonly to?: string;
  /** The chat the job was given in: its replies and notices go there. */
  readonly chat: ChatRef;
  /**
   * The Telegram document, for an archive sent to the bot as a file (for a volume set sent as
   * files, its documents' ids in volume order, joined by `+`): how it is recognised when sent again.
   */
  readonly documentId?: string;
  /** Start over, forgetting an earlier delivery of the same archive (`/send … again`). */
  again?: boolean;
  /** Attempt entries that failed in an earlier run again (`/retry`). */
  retryFailed?: boolean;
  state: JobState;
  readonly createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Its manifest, once the archive has been opened. */
  manifest?: string;
  /** The archive's size in bytes, once opened. */
  size?: number;
  progress?: JobProgress;
  /** Entries still waiting for a password (skipped `encrypted` or failed `wrong-password`). */
  lockedEntries?: number;
  /**
   * Set when the archive could not even be listed without its password (a 7z or RAR archive
   * whose names are encrypted): the job failed, and `/pass` runs it again with one.
   */
  lockedArchive?: boolean;
  /**
   * Set while the job's end is being told to its owner: a bot stopped before the report went out
   * tells it at its next start.
   */
  reportPending?: boolean;
  /** Why it failed, in words (state `failed`), or why it stopped. */
  error?: string;
}

/** A change to a {@link Job}: the properties to set, and those given as `undefined` to remove. */
export type JobChange = { [K in keyof Job]?: Job[K] | undefined };

/** Whether a job is over: it will not run again unless `/retry` says so. */
export function isFinished(job: Job): boolean {
  return job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';
}
