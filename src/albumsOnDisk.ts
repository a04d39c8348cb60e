import { BehaviorSubject, filter, map, type Observable, take } from 'rxjs';

/**
 * The albums whose temp files are on disk and on their way to the sink, counted, for the
 * free-space gate to know what will be freed without it reading anything more.
 *
 * In plain words: while album k is being delivered (and album k+1 waits behind it), their files
 * take disk space that comes back by itself once each is done with. A gate that finds no room
 * for the next entry then waits for that, without calling it a pause, and checks again the moment
 * an album's files are deleted, rather than at its next 30-second re-check.
 *
 * `deliver` adds an album when the album reaches it and removes it once the album is done with
 * and its temp files are deleted; `freeSpaceGate` reads {@link held} and waits on
 * {@link removedSince}. One per run.
 *
 * ## Examples
 * ```ts
 * const onDisk = new AlbumsOnDisk();
 * steps$.pipe(freeSpaceGate({ folder, onDisk }), materialise({ tmpDir: folder }), albums(), deliver({ sink, onDisk }));
 * ```
 */
export class AlbumsOnDisk {
  private count = 0;
  private readonly removals = new BehaviorSubject(0);

  /** Albums on their way to the sink now: being delivered, or waiting behind the one that is. */
  get held(): number {
    return this.count;
  }

  /** Albums done with so far, their temp files deleted: a mark for {@link removedSince}. */
  get removed(): number {
    return this.removals.value;
  }

  /** An album reached the sink's queue, its files on disk. */
  add(): void {
    this.count++;
  }

  /** An album is done with (delivered or given up on) and its temp files are deleted. */
  remove(): void {
    this.count = Math.max(0, this.count - 1);
    this.removals.next(this.removals.value + 1);
  }

  /**
   * Emits once, and completes, as soon as more than `mark` albums have been removed: at once if
   * that has happened already, so that a removal between reading the mark and subscribing is not
   * missed.
   *
   * @param mark A value of {@link removed} read earlier.
   */
  removedSince(mark: number): Observable<void> {
    return this.removals.pipe(
      filter((count) => count > mark),
      take(1),
      map(() => undefined),
    );
  }
}
