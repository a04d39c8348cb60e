import { catchError, concat, defer, EMPTY, finalize, ignoreElements, map, NEVER, Observable, of, switchMap, takeUntil, throwError } from 'rxjs';
import { albums } from '../operators/albums.js';
import { checkpoint } from '../operators/checkpoint.js';
import { classifyMedia } from '../operators/classifyMedia.js';
import { deliver } from '../operators/deliver.js';
import { freeSpaceGate } from '../operators/freeSpaceGate.js';
import { materialise } from '../operators/materialise.js';
import { pauseGate } from '../operators/pauseGate.js';
import { recordAlbum } from '../operators/recordAlbum.js';
import { releaseEntries } from '../operators/releaseEntries.js';
import { reportBroken } from '../operators/reportBroken.js';
import { trackActivity } from '../operators/trackActivity.js';
import { AlbumsOnDisk } from './albumsOnDisk.js';
import { openedRun } from './openRun.js';
import { RunActivity } from './runActivity.js';
import type { SendOptions } from './sendOptions.js';
import type { DeliveryContext } from './sinks/sink.js';
import { manifestUploads } from './state/uploadJournal.js';
import type { Archive } from './sources/archive.js';
import type { Manifest, ResumeConfig } from './state/manifest.js';
import type { AlbumGroup, Step } from './step.js';

export { archiveStatePaths } from './openRun.js';
export type { SendOptions } from './sendOptions.js';

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

/** The first step of a run: the archive, its size and format, and what earlier runs settled. */
function openedStep(archive: Archive, manifest: Manifest, resume: ResumeConfig): Step {
  return {
    kind: 'opened',
    archive: archive.name,
    format: archive.format,
    size: archive.size,
    ...(archive.entryCount !== undefined ? { entryCount: archive.entryCount } : {}),
    settled: manifest.settledCount(resume),
    manifestFile: manifest.file,
    ...(archive.remote ? { network: archive.remote } : {}),
  };
}

/**
 * What the sink is told with every album: the archive's name and size, and the upload journal in
 * the manifest, each confirmed part of which is a sign of life (a big file can take minutes to go up).
 */
function deliveryContext(archive: Archive, manifest: Manifest, activity: RunActivity): DeliveryContext {
  const uploads = manifestUploads(manifest);
  return {
    archive: archive.name,
    total: archive.entryCount,
    uploads: {
      ...uploads,
      put(key, record) {
        activity.moved();
        uploads.put(key, record);
      },
    },
  };
}

/**
 * Delivers every entry of an archive to a sink, in albums, recording progress in a manifest so
 * that a second run goes on where the first stopped. While an album is on its way to the sink, the
 * next one is read and written to the temp folder if the disk has room for it (see `albumsAhead`):
 * at most two albums on disk, one when space is short.
 *
 * This is the whole pipeline, composed from the operators:
 * `entries → pauseGate → freeSpaceGate → materialise → classifyMedia → albums → recordAlbum →
 * deliver → checkpoint → releaseEntries`, with `trackActivity` between the stages. `deliver` and
 * `freeSpaceGate` share the count of albums on disk ({@link AlbumsOnDisk}), so that the gate waits
 * for the album before rather than pause, and checks again as soon as an album's files are deleted.
 * The returned Observable emits every step (opened, paused, skipped, delivering,
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
    switchMap(({ archive, manifest, tmp, close, finish, stop }) => {
      const resume = { retryFailed: options.retryFailed ?? false, password: options.password !== undefined };
      const activity = options.activity ?? new RunActivity();
      const planned = new Map(
        Object.entries(manifest.data.inFlight).map(([id, record]) => [id, { group: record.group as AlbumGroup, entries: record.entries }]),
      );
      const context = deliveryContext(archive, manifest, activity);
      const onDisk = new AlbumsOnDisk();
      const entries = archive.entries({ skip: (index) => manifest.isSettled(index, resume), password: options.password }).pipe(
        map((entry): Step => ({ kind: 'entry', entry })),
        reportBroken(archive.name),
        pauseGate({ paused: options.paused ?? of(false) }),
      );
      const steps = entries.pipe(
        freeSpaceGate({
          folder: tmp,
          minFree: options.minFree,
          recheckEvery: options.recheckEvery,
          probe: options.probe,
          scheduler: options.scheduler,
          ledger: options.ledger,
          onDisk,
        }),
        trackActivity(activity),
        materialise({ tmpDir: tmp, maxEntrySize: options.maxEntrySize ?? options.sink.maxFileSize, onWrite: () => activity.moved() }),
        classifyMedia(options.sink.classify?.bind(options.sink)),
        trackActivity(activity),
        albums({ size: options.albumSize, planned }),
        trackActivity(activity),
        recordAlbum({ manifest }),
      ).pipe(
        deliver({
          sink: options.sink,
          attempts: options.attempts,
          backoff: options.backoff,
          scheduler: options.scheduler,
          context,
          ahead: options.albumsAhead ?? 1,
          onDisk,
        }),
        trackActivity(activity),
        checkpoint({ manifest }),
        trackActivity(activity),
        releaseEntries(),
      );
      const finished = defer(async () => {
        activity.enter('closing the run');
        await finish();
      }).pipe(ignoreElements());
      const stopped = defer(stop).pipe(ignoreElements());
      const run = concat(of(openedStep(archive, manifest, resume)), steps, finished).pipe(
        takeUntil(aborted(options.signal)),
        // A run that fails (Telegram out of reach, the archive unreadable) lets go before it says
        // so, as a stopped one does: whoever hears of the error may exit the process at once.
        catchError((error: unknown) => concat(stopped, throwError(() => error))),
        // An unsubscription lets go too, without being waited for; a stop waits below.
        finalize(() => {
          if (!options.signal?.aborted) void close();
        }),
      );
      return concat(run, defer(() => (options.signal?.aborted ? stopped : EMPTY)));
    }),
  );
}
