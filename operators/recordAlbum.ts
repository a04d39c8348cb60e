import { concat, concatMap, defaultIfEmpty, from, ignoreElements, type MonoTypeOperatorFunction, type ObservableInput, of, take } from 'rxjs';
import type { Manifest } from '../src/state/manifest.js';
import type { Step } from '../src/step.js';

/** Options of {@link recordAlbum}. */
export interface RecordAlbumConfig {
  /** The manifest to record into. */
  manifest: Manifest;
  /** Writes the manifest out. Default: `manifest.save()` (atomic and durable). */
  save?: (() => ObservableInput<unknown>) | undefined;
}

/**
 * Writes each album's id and members to the manifest as "in flight", and only then lets the album
 * go on to the sink.
 *
 * This is the first half of exactly-once delivery: the id is decided and durable before the sink
 * sees the album, so after a crash the same entries are sent again under the same id, and the
 * sink (Telegram's `random_id`, the folder sink's album index) recognises a repeat. The second
 * half is {@link checkpoint}, which marks the album landed once the sink confirms it. An album
 * that is already recorded in flight (a resumed run re-sending it) is not written again.
 * Other steps pass through unchanged.
 *
 * ```
 * save:    --|
 * source:  -A-----|
 * result:  ---A---|
 * ```
 *
 * ## Examples
 * ```ts
 * import { albums, recordAlbum, deliver } from 'unspool';
 * steps$.pipe(albums(), recordAlbum({ manifest }), deliver({ sink }));
 * ```
 *
 * @see albums
 * @see deliver
 * @see checkpoint
 * @param config The manifest, and how to save it.
 * @return An operator that holds each album until its record is saved.
 */
export function recordAlbum(config: RecordAlbumConfig): MonoTypeOperatorFunction<Step> {
  const { manifest, save = () => manifest.save() } = config;
  return concatMap((step) => {
    if (step.kind !== 'album' || manifest.data.inFlight[step.album.id]) return of(step);
    const { album } = step;
    manifest.inFlight(album.id, { entries: album.files.map((file) => file.entry.index), group: album.group });
    return concat(from(save()).pipe(defaultIfEmpty(null), take(1), ignoreElements()), of(step));
  });
}
