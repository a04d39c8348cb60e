import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { catchError, concat, defer, EMPTY, finalize, ignoreElements, map, NEVER, Observable, of, type SchedulerLike, switchMap, takeUntil, tap, throwError } from 'rxjs';
import { albums } from '../operators/albums.js';
import { checkpoint } from '../operators/checkpoint.js';
import { classifyMedia } from '../operators/classifyMedia.js';
import { deliver } from '../operators/deliver.js';
import { defaultMinFree, defaultRecheckEvery, freeSpaceGate } from '../operators/freeSpaceGate.js';
import { materialise } from '../operators/materialise.js';
import { pauseGate } from '../operators/pauseGate.js';
import { recordAlbum } from '../operators/recordAlbum.js';
import { releaseEntries } from '../operators/releaseEntries.js';
import { trackActivity } from '../operators/trackActivity.js';
import { crashPoint } from './crashPoint.js';
import { RunActivity } from './runActivity.js';
import { acquireRunLock } from './state/runLock.js';
import { ConfigError, describeError } from './errors.js';
import { checkDiskSpaceProbe, type DiskSpaceProbe } from './freeSpace.js';
import { Manifest } from './state/manifest.js';
import type { SpaceLedger } from './spaceLedger.js';
import type { DeliveryContext, Sink } from './sinks/sink.js';
import type { TelegramConnection } from './telegram/connectTelegram.js';
import type { Archive } from './sources/archive.js';
import type { HttpSourceConfig } from './sources/http/remoteFile.js';
import { isHttpUrl, redactUrl, urlWithoutQuery } from './sources/http/redactUrl.js';
import { openArchive } from './sources/openArchive.js';
import { telegramDocumentKeyOf } from './sources/telegram/telegramDocumentName.js';
import { torboxKeyOf } from './sources/torbox/torboxName.js';
import { TarBrokenError } from './sources/tarBrokenError.js';
import { type ArchivePaths, archivePaths } from './state/stateDir.js';
import { manifestUploads } from './state/uploadJournal.js';
import type { AlbumGroup, Step } from './step.js';

/** Options of {@link send}. */
export interface SendOptions {
  /** Where albums go: {@link dirSink}, or a Telegram chat. */
  sink: Sink;
  /** The state folder: manifests and temp files live here. */
  state: string;
  /** Most files per album, 2 to 10. Default: 10. */
  albumSize?: number;
  /** Bytes to keep free on the state folder's file system. Default: 3 GB. */
  minFree?: number;
  /** Milliseconds between free-space checks while paused. Default: 30 000. */
  recheckEvery?: number;
  /** Attempts per album. Default: 3. */
  attempts?: number;
  /** First retry delay in milliseconds, doubling. Default: 1 000. */
  backoff?: number;
  /** Entries over this many bytes are skipped as `too-large`. Default: the sink's limit, if any. */
  maxEntrySize?: number;
  /** Attempt entries that failed in an earlier run again. Default: false. */
  retryFailed?: boolean;
  /**
   * The password of a zip with traditional encryption ("ZipCrypto"): its encrypted entries are
   * decrypted as they stream, and entries that an earlier run skipped as `encrypted` or failed as
   * `wrong-password` are attempted again. A wrong one fails them as `wrong-password`. It is kept
   * in memory only: never logged, never written to the manifest. AES-encrypted entries are
   * skipped as `encrypted-aes` whatever the password. Default: none.
   */
  password?: string;
  /** Forget what earlier runs did and start over. Default: false. */
  restart?: boolean;
  /** How free space is measured. Default: `check-disk-space`. */
  probe?: DiskSpaceProbe;
  /** Scheduler for waits (free space, retries). Default: `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /**
   * Pauses the run while true (the bot's /pause and /resume): the next entry waits unread, and the
   * files already waiting go out as albums first, so a paused run keeps nothing in its temp folder.
   * Default: never paused.
   */
  paused?: Observable<boolean>;
  /**
   * Shared by every run at once on one disk (`--jobs N`; one `spaceLedger()` per process), so that
   * together they cannot push free space below `minFree`. Default: none, each run counts its own.
   */
  ledger?: SpaceLedger;
  /** For an `http(s)` archive: attempts, backoff and the wait between HTTP retries, the redirect cap. */
  http?: HttpSourceConfig;
  /**
   * How the archive is opened, given `path`. Default: `openArchive`, with the downloads folder,
   * free space, HTTP settings and state folder of these options. Tests pass a reader of their own
   * (a Telegram document over a recorded client, say).
   */
  open?: (path: string) => Promise<Archive>;
  /**
   * For a `tg:` archive: how to get a logged-in connection. Default: log in with the settings in
   * the environment or `<state>/config.env`. The bot passes its own, so it reads over the one
   * connection it already has.
   */
  connectTelegram?: () => Promise<TelegramConnection>;
  /** The archive as shown in messages and manifests. Default: `path`, an address redacted. */
  name?: string;
  /**
   * Stops the run when it aborts (the CLI's SIGINT and SIGTERM): every read, retry and wait ends,
   * the album on its way is abandoned and its temp files deleted, the manifest is saved as it
   * stands (with the upload progress made since its last save), the archive is closed and the lock
   * released; then the Observable completes. A stop while the archive is still opening ends the
   * opening's requests and waits too. Unsubscribing does the same clean-up (without the save)
   * without it being waited for. Default: never stopped.
   */
  signal?: AbortSignal;
  /**
   * Kept up to date with the stage the run is at and its last sign of life (bytes written, parts
   * uploaded), for a stall watchdog (`watchStall`) or a last word when the process's event loop
   * empties before the run ends. Default: one of its own, unseen.
   */
  activity?: RunActivity;
}

/** Emits once when `signal` aborts (at once if it already has); never without one. */
function aborted(signal: AbortSignal | undefined): Observable<void> {
  if (!signal) return NEVER;
  return new Observable<void>((subscriber) => {
    const abort = () => subscriber.next();
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    return () => signal.removeEventListener('abort', abort);
  });
}

/**
 * The key of an archive's state (manifest, lock, temp folder). A remote archive is keyed by its
 * address without query string, so a signed link renewed with a fresh token resumes the same
 * delivery; a Torbox download by `torbox:<kind>:<id>`, whatever link it is read through.
 * A Telegram document by `tg:<chat>/<message-id>`, whether named so or by its `t.me` link.
 * `archivePaths` resolves its key as a path; the leading `/` keeps an address from being resolved
 * against the current folder.
 */
function stateKey(path: string): string {
  const telegram = telegramDocumentKeyOf(path);
  if (telegram) return `/${telegram}`;
  if (isHttpUrl(path)) return `/${urlWithoutQuery(path)}`;
  const torbox = torboxKeyOf(path);
  return torbox ? `/${torbox}` : path;
}

/**
 * Where the state of an archive lives (manifest, lock, temp folder), for the same `path` that
 * {@link send} is given: the bot looks here to recognise an archive delivered before.
 *
 * @param state The state folder.
 * @param path The archive file, its address, its `torbox:` name, or its `tg:` name.
 */
export function archiveStatePaths(state: string, path: string): ArchivePaths {
  return archivePaths(resolve(state), stateKey(path));
}

async function identityOf(archive: Archive, path: string) {
  const { name: source, size, format, fingerprint, remote } = archive;
  if (!remote) return { source, path: resolve(path), size, mtimeMs: (await stat(path)).mtimeMs, format, fingerprint };
  // The validators are recorded for people reading the manifest; the check on resume is the size
  // and fingerprint, as for a local file (an ETag may change for the same bytes).
  const validators = { ...(remote.etag ? { etag: remote.etag } : {}), ...(remote.lastModified ? { lastModified: remote.lastModified } : {}) };
  return { source, path: torboxKeyOf(path) ?? telegramDocumentKeyOf(path) ?? remote.url, size, mtimeMs: 0, format, fingerprint, validators };
}

async function loadManifest(file: string, archive: Archive, path: string, options: SendOptions): Promise<Manifest> {
  const settings = { albumSize: options.albumSize ?? 10 };
  const identity = await identityOf(archive, path);
  const earlier = options.restart ? undefined : await Manifest.load(file, archive.name);
  if (!earlier) return Manifest.create(file, identity, settings);
  const known = earlier.data.archive;
  if (known.size !== archive.size || (known.fingerprint && known.fingerprint !== archive.fingerprint)) {
    throw new ConfigError(
      `${archive.name}: this is not the archive that was being delivered from this path (size or contents changed); use --restart to start it over`,
    );
  }
  Object.assign(earlier.data, { archive: identity, settings });
  // Whether the archive still breaks is for this run to find out again.
  delete earlier.data.broken;
  delete earlier.data.completedAt;
  return earlier;
}

/** A run whose archive is open, whose manifest is loaded and whose lock is held. */
interface OpenRun {
  readonly archive: Archive;
  readonly manifest: Manifest;
  readonly tmp: string;
  readonly unlock: () => Promise<void>;
}

/**
 * Takes the archive's lock, opens it and loads its manifest; on failure lets go of both.
 *
 * @param signal Ends the opening's requests and waits (a server answering 503 with `Retry-After`).
 */
async function openRun(path: string, options: SendOptions, signal: AbortSignal): Promise<OpenRun> {
  const state = resolve(options.state);
  const paths = archiveStatePaths(state, path);
  // The lock is taken before the archive is opened, so that two runs never share a download.
  const unlock = await acquireRunLock(paths.lock, isHttpUrl(path) ? redactUrl(path) : path);
  let archive: Archive | undefined;
  try {
    const room = { minFree: options.minFree ?? defaultMinFree, probe: options.probe ?? checkDiskSpaceProbe, recheckEvery: options.recheckEvery ?? defaultRecheckEvery };
    archive = options.open
      ? await options.open(path)
      : await openArchive(path, options.name, {
          downloads: join(state, 'downloads'),
          room,
          state,
          ...(options.http ? { http: options.http } : {}),
          ...(options.connectTelegram ? { connectTelegram: options.connectTelegram } : {}),
          signal,
        });
    const manifest = await loadManifest(paths.manifest, archive, path, options);
    if (archive.entryCount !== undefined) manifest.data.entryCount = archive.entryCount;
    // Whatever a dead run left here is stale: its albums are rebuilt from the archive.
    await rm(paths.tmp, { recursive: true, force: true });
    await mkdir(paths.tmp, { recursive: true });
    await removeStaleManifestTemps(paths.manifest);
    // Saved at once, so that a run stopped before its first album still leaves a manifest to read.
    await manifest.save();
    return { archive, manifest, tmp: paths.tmp, unlock };
  } catch (error) {
    await archive?.close?.();
    await unlock();
    throw error;
  }
}

/**
 * The run, once open. Unsubscribing while it is still opening (a slow download link, a `/cancel`
 * from the bot) ends the opening's requests and waits, and lets go of the archive and the lock as
 * soon as the opening ends, so that a later run in the same process is not locked out. A stop
 * (`options.signal`) does the same, and completes without a run once it has let go.
 */
function openedRun(path: string, options: SendOptions): Observable<OpenRun> {
  return new Observable<OpenRun>((subscriber) => {
    const opening = new AbortController();
    let opened = false;
    const stop = () => opening.abort();
    options.signal?.addEventListener('abort', stop, { once: true });
    if (options.signal?.aborted) stop();
    openRun(path, options, opening.signal).then(
      (run) => {
        options.signal?.removeEventListener('abort', stop);
        if (!opening.signal.aborted) {
          opened = true;
          subscriber.next(run);
          subscriber.complete();
          return;
        }
        void rm(run.tmp, { recursive: true, force: true })
          .then(() => run.archive.close?.())
          .then(run.unlock)
          .finally(() => subscriber.complete());
      },
      // An opening that was stopped fails as it ends (an AbortError, or what that caused): that is
      // no error of the run's, and it has let go of the lock already.
      (error: unknown) => (opening.signal.aborted ? subscriber.complete() : subscriber.error(error)),
    );
    return () => {
      if (!opened) opening.abort();
      options.signal?.removeEventListener('abort', stop);
    };
  });
}

/**
 * Delivers every entry of an archive to a sink, in albums, one album on disk at a time, recording
 * progress in a manifest so that a second run goes on where the first stopped.
 *
 * This is the whole pipeline, composed from the operators:
 * `entries → pauseGate → freeSpaceGate → materialise → classifyMedia → albums → recordAlbum →
 * deliver → checkpoint → releaseEntries`, with `trackActivity` between the stages. The returned Observable emits every step (opened, paused, skipped,
 * delivered, checkpoint, …) for progress displays; it completes when the archive is done and
 * errors with an {@link ArchiveError} when the archive cannot be read at all, or a
 * {@link ConfigError} for a bad state folder.
 *
 * An `http(s)` address is read in place over byte ranges (see `openArchive`); it is shown and
 * recorded with its query string redacted. A Torbox download (`torbox:<id>`) is recorded as
 * `torbox:<kind>:<id>`, never by its links, which expire. A file posted in a Telegram chat
 * (`tg:<chat>/<message-id>` or its `t.me` link) is read in place and recorded as
 * `tg:<chat>/<message-id>`.
 *
 * @param path The archive file, its address, its `torbox:` name, or its `tg:` name.
 * @param options The sink, the state folder, and the settings.
 */
export function send(path: string, options: SendOptions): Observable<Step> {
  return openedRun(path, options).pipe(
    switchMap(({ archive, manifest, tmp, unlock }) => {
      const resume = { retryFailed: options.retryFailed ?? false, password: options.password !== undefined };
      const opened: Step = {
        kind: 'opened',
        archive: archive.name,
        format: archive.format,
        size: archive.size,
        ...(archive.entryCount !== undefined ? { entryCount: archive.entryCount } : {}),
        settled: manifest.settledCount(resume),
        manifestFile: manifest.file,
        ...(archive.remote ? { network: archive.remote } : {}),
      };
      const planned = new Map(
        Object.entries(manifest.data.inFlight).map(([id, record]) => [id, { group: record.group as AlbumGroup, entries: record.entries }]),
      );
      const activity = options.activity ?? new RunActivity();
      const uploads = manifestUploads(manifest);
      const context: DeliveryContext = {
        archive: archive.name,
        ...(archive.entryCount !== undefined ? { total: archive.entryCount } : {}),
        uploads: {
          ...uploads,
          // Each part Telegram confirms is a sign of life: a big file can take minutes to go up.
          put(key, record) {
            activity.moved();
            uploads.put(key, record);
          },
        },
      };
      const entries = archive.entries({ skip: (index) => manifest.isSettled(index, resume), password: options.password }).pipe(
        map((entry): Step => ({ kind: 'entry', entry })),
        catchError((error: unknown) =>
          error instanceof TarBrokenError
            ? of<Step>({
                kind: 'broken',
                archive: archive.name,
                detail: `the archive breaks after entry ${error.index}: ${describeError(error.cause ?? error)}`,
              })
            : throwError(() => error),
        ),
        pauseGate({ paused: options.paused ?? of(false) }),
      );
      const steps = entries.pipe(
        freeSpaceGate({ folder: tmp, minFree: options.minFree, recheckEvery: options.recheckEvery, probe: options.probe, scheduler: options.scheduler, ledger: options.ledger }),
        trackActivity(activity),
        materialise({ tmpDir: tmp, maxEntrySize: options.maxEntrySize ?? options.sink.maxFileSize, onWrite: () => activity.moved() }),
        classifyMedia(options.sink.classify?.bind(options.sink)),
        trackActivity(activity),
        albums({ size: options.albumSize, planned }),
        trackActivity(activity),
        recordAlbum({ manifest }),
      ).pipe(
        deliver({ sink: options.sink, attempts: options.attempts, backoff: options.backoff, scheduler: options.scheduler, context }),
        tap((step) => {
          if (step.kind === 'delivered') crashPoint('after-sink');
        }),
        trackActivity(activity),
        checkpoint({ manifest }),
        trackActivity(activity),
        releaseEntries(),
      );
      let released: Promise<void> | undefined;
      // Once, however the run ends: an error or an unsubscription starts it from `finalize`, and a
      // stop then waits for that same clean-up.
      const letGo = () => (released ??= rm(tmp, { recursive: true, force: true }).then(async () => archive.close?.()).then(unlock));
      const cleanUp = defer(async () => {
        activity.enter('closing the run');
        manifest.data.completedAt = new Date().toISOString();
        await manifest.save();
        await letGo();
      }).pipe(ignoreElements());
      // The manifest is consistent at every moment; saved once more, it keeps the upload progress
      // made since its last save (saved at most every 2 s while parts go up). The save comes
      // before the lock is let go, so that it cannot land over the manifest of a next run.
      const stopped = defer(async () => {
        if (!released) await manifest.save().catch(() => undefined);
        await letGo();
      }).pipe(ignoreElements());
      const run = concat(of(opened), steps, cleanUp).pipe(
        takeUntil(aborted(options.signal)),
        // A run that fails (Telegram out of reach, the archive unreadable) lets go before it says
        // so, as a stopped one does: whoever hears of the error may exit the process at once.
        catchError((error: unknown) => concat(stopped, throwError(() => error))),
        finalize(() => {
          if (!options.signal?.aborted) void letGo();
        }),
      );
      return concat(run, defer(() => (options.signal?.aborted ? stopped : EMPTY)));
    }),
  );
}

/** Removes temp files that `write-file-atomic` left beside a manifest when a run died mid-write. */
async function removeStaleManifestTemps(manifestFile: string): Promise<void> {
  const folder = dirname(manifestFile);
  const prefix = `${basename(manifestFile)}.`;
  for (const name of await readdir(folder).catch(() => [])) {
    if (name.startsWith(prefix) && !name.endsWith('.jsonl')) await rm(join(folder, name), { force: true });
  }
}
