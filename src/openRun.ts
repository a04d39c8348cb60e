import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Observable } from 'rxjs';
import { defaultMinFree, defaultRecheckEvery } from '../operators/freeSpaceGate.js';
import { ConfigError } from './errors.js';
import { checkDiskSpaceProbe } from './freeSpace.js';
import type { SendOptions } from './sendOptions.js';
import type { Archive } from './sources/archive.js';
import { archiveStateKey, remoteArchivePath } from './sources/archiveKey.js';
import { isHttpUrl, redactUrl } from './sources/http/redactUrl.js';
import { openArchive } from './sources/openArchive.js';
import { Manifest } from './state/manifest.js';
import { acquireRunLock } from './state/runLock.js';
import { type ArchivePaths, archivePaths } from './state/stateDir.js';

/**
 * Where the state of an archive lives (manifest, lock, temp folder), for the same `path` that
 * {@link send} is given: the bot looks here to recognise an archive delivered before.
 *
 * @param state The state folder.
 * @param path The archive file, its address, its `torbox:` name, or its `tg:` name.
 */
export function archiveStatePaths(state: string, path: string): ArchivePaths {
  return archivePaths(resolve(state), archiveStateKey(path));
}

async function identityOf(archive: Archive, path: string) {
  const { name: source, size, format, fingerprint, remote } = archive;
  if (!remote) return { source, path: resolve(path), size, mtimeMs: (await stat(path)).mtimeMs, format, fingerprint };
  // The validators are recorded for people reading the manifest; the check on resume is the size
  // and fingerprint, as for a local file (an ETag may change for the same bytes).
  const validators = { ...(remote.etag ? { etag: remote.etag } : {}), ...(remote.lastModified ? { lastModified: remote.lastModified } : {}) };
  return { source, path: remoteArchivePath(path, remote), size, mtimeMs: 0, format, fingerprint, validators };
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
export interface OpenRun {
  readonly archive: Archive;
  readonly manifest: Manifest;
  /** The run's temp folder, `<state>/tmp/<archive-id>`. */
  readonly tmp: string;
  /**
   * Lets go of the run: deletes its temp folder, closes the archive, releases the lock. Once,
   * however often it is called: every call waits for that one clean-up.
   */
  close(): Promise<void>;
  /** Ends a run that read its archive to the end: records `completedAt`, saves, lets go. */
  finish(): Promise<void>;
  /**
   * Ends a run that was stopped or failed: saves the manifest as it stands, unless the run has
   * begun to let go already (so that the save cannot land over a next run's manifest), and lets go.
   * The manifest is consistent at every moment; saved once more, it keeps the upload progress made
   * since its last save (saved at most every 2 s while parts go up).
   */
  stop(): Promise<void>;
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
          http: options.http,
          connectTelegram: options.connectTelegram,
          password: options.password,
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
    const opened = archive;
    let closing: Promise<void> | undefined;
    const close = () => (closing ??= rm(paths.tmp, { recursive: true, force: true }).then(async () => opened.close?.()).then(unlock));
    const finish = async () => {
      manifest.data.completedAt = new Date().toISOString();
      await manifest.save();
      await close();
    };
    const stop = async () => {
      if (!closing) await manifest.save().catch(() => undefined);
      await close();
    };
    return { archive, manifest, tmp: paths.tmp, close, finish, stop };
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
export function openedRun(path: string, options: SendOptions): Observable<OpenRun> {
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
        void run.close().finally(() => subscriber.complete());
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

/** Removes temp files that `writeFileDurably` left beside a manifest when a run died mid-write. */
async function removeStaleManifestTemps(manifestFile: string): Promise<void> {
  const folder = dirname(manifestFile);
  const prefix = `${basename(manifestFile)}.`;
  for (const name of await readdir(folder).catch(() => [])) {
    if (name.startsWith(prefix) && !name.endsWith('.jsonl')) await rm(join(folder, name), { force: true });
  }
}
