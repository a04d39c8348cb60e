import { randomBytes } from 'node:crypto';
import { concat, concatMap, defer, from, type MonoTypeOperatorFunction, type Observable, of } from 'rxjs';
import type { MediaType } from '../src/entry.js';
import type { Album, AlbumGroup, Step, TempFile } from '../src/step.js';

/** Options of {@link albums}. */
export interface AlbumsConfig {
  /** Most files in one album, 2 to 10 (Telegram's limit is 10). Default: 10. */
  size?: number;
  /** Generates album ids. Default: 16 random hex digits. */
  albumId?: () => string;
  /** Which album group a file joins. Default: {@link groupOf} on its media type. */
  group?: (file: TempFile) => AlbumGroup;
}

/**
 * Telegram's mixing rule: photos and videos may share an album, audio goes only with audio and
 * documents only with documents.
 */
export function groupOf(media: MediaType): AlbumGroup {
  return media === 'photo' || media === 'video' ? 'visual' : media;
}

/**
 * Groups materialised files into albums of at most `size` files of one group, in archive order.
 *
 * An album is emitted when its group is full, when the source completes (oldest group first),
 * and early when the files waiting across all groups reach `size`: then the oldest group goes,
 * so that the files waiting on disk never exceed one album. A file that joins a group without
 * filling anything is released at once, so that the source reads the next entry; the entry that
 * caused an album to be emitted is held (as the album's `trigger`) until that album has been
 * through the rest of the pipeline. Other steps pass through unchanged.
 *
 * ```
 * size 3, p = photo, a = audio
 * source:  -p1-p2-a1-|
 * result:  ---------A-(B|)     A = [p1 p2] (waiting reached 3), B = [a1]
 * ```
 *
 * ## Examples
 * ```ts
 * import { albums } from 'unspool/operators';
 * steps$.pipe(albums({ size: 10 }));
 * ```
 *
 * @see materialise
 * @see deliver
 * @param config The album size (default 10), the id generator and the grouping rule.
 * @return An operator from materialised steps to album steps.
 */
export function albums(config: AlbumsConfig = {}): MonoTypeOperatorFunction<Step> {
  const size = config.size ?? 10;
  if (!Number.isInteger(size) || size < 2 || size > 10) {
    throw new TypeError(`Expected \`size\` to be an integer from 2 to 10, got \`${size}\` (${typeof size})`);
  }
  const albumId = config.albumId ?? (() => randomBytes(8).toString('hex'));
  const group = config.group ?? ((file: TempFile) => groupOf(file.media));

  return (source) =>
    defer(() => {
      // Open groups in the order their first file arrived: the first is the oldest.
      const open = new Map<AlbumGroup, TempFile[]>();
      let waiting = 0;

      const take = (name: AlbumGroup, trigger?: TempFile): Step => {
        const files = open.get(name)!;
        open.delete(name);
        waiting -= files.length;
        const album: Album = { id: albumId(), group: name, files, ...(trigger ? { trigger: trigger.entry } : {}) };
        return { kind: 'album', album };
      };

      const add = (file: TempFile): Observable<Step> => {
        const name = group(file);
        const files = open.get(name) ?? [];
        open.set(name, files);
        files.push(file);
        waiting++;
        if (files.length >= size) return of(take(name, file));
        if (waiting >= size) return of(take(open.keys().next().value!, file));
        file.entry.release();
        return of();
      };

      const rest = defer(() => from([...open.keys()].map((name) => take(name))));
      return concat(
        source.pipe(concatMap((step) => (step.kind === 'materialised' ? add(step.file) : of(step)))),
        rest,
      );
    });
}
