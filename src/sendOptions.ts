import type { Observable, SchedulerLike } from 'rxjs';
import type { DiskSpaceProbe } from './freeSpace.js';
import type { RunActivity } from './runActivity.js';
import type { Sink } from './sinks/sink.js';
import type { Archive } from './sources/archive.js';
import type { HttpSourceConfig } from './sources/http/remoteFile.js';
import type { SpaceLedger } from './spaceLedger.js';
import type { TelegramConnection } from './telegram/connectTelegram.js';

/** Options of {@link send}. */
export interface SendOptions {
  /** Where albums go: {@link dirSink}, or a Telegram chat. */
  sink: Sink;
  /** The state folder: manifests and temp files live here. */
  state: string;
  /** Most files per album, 2 to 10. Default: 10. */
  albumSize?: number | undefined;
  /** Bytes to keep free on the state folder's file system. Default: 3 GB. */
  minFree?: number | undefined;
  /** Milliseconds between free-space checks while paused. Default: 30 000. */
  recheckEvery?: number | undefined;
  /**
   * Albums read ahead: with 1, the next album is read from the archive and written to the temp
   * folder while the one before is on its way to the sink (which may start on it early, as the
   * Telegram sink does with its uploads), so at most two albums' files are on disk; when the
   * free-space gate finds no room for the album ahead, it waits for the album before to be done
   * with, and the run keeps one album on disk. With 0, the next album is read only once the one
   * before is delivered and checkpointed: one album on disk at a time. Default: 1.
   */
  albumsAhead?: 0 | 1 | undefined;
  /** Attempts per album. Default: 3. */
  attempts?: number | undefined;
  /** First retry delay in milliseconds, doubling. Default: 1 000. */
  backoff?: number | undefined;
  /** Entries over this many bytes are skipped as `too-large`. Default: the sink's limit, if any. */
  maxEntrySize?: number | undefined;
  /** Attempt entries that failed in an earlier run again. Default: false. */
  retryFailed?: boolean | undefined;
  /**
   * The password of an encrypted archive: zip entries with traditional encryption ("ZipCrypto")
   * or WinZip AES, 7z and RAR entries, and the names of a 7z or RAR archive that encrypts them
   * (without which it cannot be opened at all). Encrypted entries are decrypted as they stream, and
   * entries that an earlier run skipped as `encrypted` or failed as `wrong-password` are attempted
   * again. A wrong one fails them as `wrong-password`. It is kept in memory only: never logged,
   * never written to the manifest. Zip entries with PKWARE strong encryption are skipped as
   * `encrypted-aes` whatever the password. Default: none.
   */
  password?: string | undefined;
  /** Forget what earlier runs did and start over. Default: false. */
  restart?: boolean | undefined;
  /** How free space is measured. Default: `statfs` (`check-disk-space` where Node cannot ask). */
  probe?: DiskSpaceProbe | undefined;
  /** Scheduler for waits (free space, retries). Default: `asyncScheduler`. */
  scheduler?: SchedulerLike | undefined;
  /**
   * Pauses the run while true (the bot's /pause and /resume): the next entry waits unread, and the
   * files already waiting go out as albums first, so a paused run keeps nothing in its temp folder.
   * Default: never paused.
   */
  paused?: Observable<boolean> | undefined;
  /**
   * Shared by every run at once on one disk (`--jobs N`; one `spaceLedger()` per process), so that
   * together they cannot push free space below `minFree`. Default: none, each run counts its own.
   */
  ledger?: SpaceLedger | undefined;
  /** For an `http(s)` archive: attempts, backoff and the wait between HTTP retries, the redirect cap. */
  http?: HttpSourceConfig | undefined;
  /**
   * How the archive is opened, given `path`. Default: `openArchive`, with the downloads folder,
   * free space, HTTP settings and state folder of these options. Tests pass a reader of their own
   * (a Telegram document over a recorded client, say).
   */
  open?: ((path: string) => Promise<Archive>) | undefined;
  /**
   * For a `tg:` archive: how to get a logged-in connection. Default: log in with the settings in
   * the environment or `<state>/config.env`. The bot passes its own, so it reads over the one
   * connection it already has.
   */
  connectTelegram?: (() => Promise<TelegramConnection>) | undefined;
  /** The archive as shown in messages and manifests. Default: `path`, an address redacted. */
  name?: string | undefined;
  /**
   * Stops the run when it aborts (the CLI's SIGINT and SIGTERM): every read, retry and wait ends,
   * the album on its way is abandoned and its temp files deleted, the manifest is saved as it
   * stands (with the upload progress made since its last save), the archive is closed and the lock
   * released; then the Observable completes. A stop while the archive is still opening ends the
   * opening's requests and waits too. Unsubscribing does the same clean-up (without the save)
   * without it being waited for. Default: never stopped.
   */
  signal?: AbortSignal | undefined;
  /**
   * Kept up to date with the stage the run is at and its last sign of life (bytes written, parts
   * uploaded), for a stall watchdog (`watchStall`) or a last word when the process's event loop
   * empties before the run ends. Default: one of its own, unseen.
   */
  activity?: RunActivity | undefined;
}
