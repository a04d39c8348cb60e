import { randomBytes } from 'node:crypto';
import { concat, concatMap, defer, from, type MonoTypeOperatorFunction, type Observable, of } from 'rxjs';
import type { Entry, MediaType } from '../src/entry.js';
import type { AlbumGroup, Step, TempFile } from '../src/step.js';

/** Options of {@link albums}. */
export interface AlbumsConfig {
  /** Most files in one album, 2 to 10 (Telegram's limit is 10). Default: 10. */
  size?: number | undefined;
  /** Generates album ids. Default: 16 random hex digits. */
  albumId?: (() => string) | undefined;
  /** Which album group a file joins. Default: {@link groupOf} on its media type. */
  group?: ((file: TempFile) => AlbumGroup) | undefined;
  /**
   * Albums decided by an earlier run that did not see them confirmed, by album id: they are formed
   * again from the same entries under the same id, whatever the grouping would say now. Default:
   * none.
   */
  planned?: ReadonlyMap<string, PlannedAlbum> | undefined;
}

/** An album an earlier run formed and handed to the sink, to be formed again the same way. */
export interface PlannedAlbum {
  readonly group: AlbumGroup;
  /** The entry indexes of its files, in album order. */
  readonly entries: readonly number[];
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
 * When a `held` step passes (the run was paused, see `pauseGate`) or a `paused` one (it waits for
 * disk space, see `freeSpaceGate`), every open group goes right behind it, oldest first: a paused
 * run reads nothing more, so those files would otherwise sit on disk for as long as the pause
 * lasts, and a run waiting for space would keep the very bytes it waits for (with `--jobs N`, every
 * job could wait on the others). Planned albums still wait for their own entries.
 *
 * Albums in `planned` (from a crashed run) are rebuilt from their own entries under their own ids:
 * such an album goes as soon as each of its entries has arrived or failed to be read (an entry
 * that failed is reported by its own step, never dropped silently).
 *
 * ```
 * size 3, p = photo, a = audio, h = held
 * source:  -p1-p2-a1-|
 * result:  ---------A-(B|)     A = [p1 p2] (waiting reached 3), B = [a1]
 * source:  -p1-a1-h-------|
 * result:  -------(hAB)---|    A = [p1], B = [a1]
 * ```
 *
 * ## Examples
 * ```ts
 * import { albums } from 'unspool';
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
      // Rebuilt albums of an earlier run: the files so far, and the entries still to come.
      const rebuilding = new Map<string, { files: TempFile[]; missing: Set<number> }>();
      const planOf = new Map<number, string>();
      for (const [id, plan] of config.planned ?? []) {
        rebuilding.set(id, { files: [], missing: new Set(plan.entries) });
        for (const index of plan.entries) planOf.set(index, id);
      }
      let waiting = 0;

      const take = (name: AlbumGroup, trigger?: Entry): Step => {
        const files = open.get(name)!;
        open.delete(name);
        waiting -= files.length;
        return { kind: 'album', album: { id: albumId(), group: name, files, ...(trigger ? { trigger } : {}) } };
      };

      const takePlanned = (id: string, trigger?: Entry): Step[] => {
        const { files } = rebuilding.get(id)!;
        rebuilding.delete(id);
        waiting -= files.length;
        if (files.length === 0) return [];
        const order = config.planned!.get(id)!.entries;
        files.sort((a, b) => order.indexOf(a.entry.index) - order.indexOf(b.entry.index));
        return [{ kind: 'album', album: { id, group: config.planned!.get(id)!.group, files, ...(trigger ? { trigger } : {}) } }];
      };

      /** Notes that a planned entry arrived (or never will), and returns its album if that was the last. */
      const arrived = (index: number, trigger: Entry): Step[] => {
        const id = planOf.get(index);
        const plan = id === undefined ? undefined : rebuilding.get(id);
        if (!plan) return [];
        plan.missing.delete(index);
        return plan.missing.size === 0 ? takePlanned(id!, trigger) : [];
      };

      const add = (file: TempFile): Observable<Step> => {
        if (planOf.has(file.entry.index) && rebuilding.has(planOf.get(file.entry.index)!)) {
          rebuilding.get(planOf.get(file.entry.index)!)!.files.push(file);
          waiting++;
          const done = arrived(file.entry.index, file.entry);
          if (done.length === 0) file.entry.release();
          return from(done);
        }
        const name = group(file);
        const files = open.get(name) ?? [];
        open.set(name, files);
        files.push(file);
        waiting++;
        if (files.length >= size) return of(take(name, file.entry));
        if (waiting >= size && open.size > 0) return of(take(open.keys().next().value!, file.entry));
        file.entry.release();
        return of();
      };

      const handle = (step: Step): Observable<Step> => {
        switch (step.kind) {
          case 'materialised':
            return add(step.file);
          case 'skipped':
          case 'failed':
            return of(step, ...arrived(step.entry.index, step.entry));
          case 'held':
          case 'paused':
            return of(step, ...[...open.keys()].map((name) => take(name)));
          default:
            return of(step);
        }
      };

      const rest = defer(() =>
        from([...[...rebuilding.keys()].flatMap((id) => takePlanned(id)), ...[...open.keys()].map((name) => take(name))]),
      );
      return concat(source.pipe(concatMap(handle)), rest);
    });
}
