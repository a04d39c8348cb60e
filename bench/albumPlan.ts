import { filter, from, lastValueFrom, map, toArray } from 'rxjs';
import { albums } from '../operators/albums.js';
import type { Entry } from '../src/entry.js';
import { mediaTypeOf } from '../src/mediaType.js';
import type { Step } from '../src/step.js';
import type { FixtureEntry } from './fixtureLayout.js';

/**
 * The albums unspool will form from the benchmark archive, in delivery order, as lists of entry
 * indexes: the real {@link albums} operator run over the layout, with every entry materialised and
 * nothing failing. The fixtures carry the magic bytes their extensions promise, so the media type
 * from the name is the one unspool refines to. Used to pick the album after which a run must
 * crash to have delivered a given share of the entries.
 *
 * @param entries The layout.
 * @param size Files per album. Default: 10 (unspool's default).
 */
export async function albumPlan(entries: readonly FixtureEntry[], size = 10): Promise<number[][]> {
  const steps = entries.map((fixture): Step => {
    const entry: Entry = {
      archive: 'plan',
      index: fixture.index,
      name: fixture.name,
      size: fixture.size,
      kind: 'file',
      media: mediaTypeOf(fixture.name),
      encrypted: false,
      open: () => {
        throw new Error('a planned entry has no bytes');
      },
      release: () => {},
    };
    return { kind: 'materialised', file: { entry, path: '', size: fixture.size, media: entry.media } };
  });
  return lastValueFrom(
    from(steps).pipe(
      albums({ size }),
      filter((step) => step.kind === 'album'),
      map((step) => (step.kind === 'album' ? step.album.files.map((file) => file.entry.index) : [])),
      toArray(),
    ),
  );
}

/**
 * The number of albums after which at least `share` of the entries are delivered.
 *
 * @param plan From {@link albumPlan}.
 * @param share 0.1 for 10 %.
 * @param total Entries in the archive.
 */
export function albumsToDeliver(plan: readonly number[][], share: number, total: number): number {
  let delivered = 0;
  for (const [at, album] of plan.entries()) {
    delivered += album.length;
    if (delivered >= share * total) return at + 1;
  }
  return plan.length;
}

/**
 * The album after which a run should crash to have delivered about `share` of the entries, chosen
 * so that resumes from different points can be compared: of the albums that hold ten photos and
 * are followed by an album without a video, the one whose delivery comes closest to the share. The
 * resumed run then rebuilds the same kind of album (the one left in flight) and delivers the same
 * kind of new album, wherever it starts.
 *
 * @param plan From {@link albumPlan}.
 * @param entries The layout.
 * @param share 0.1 for 10 %.
 * @return The album's number, from 1; the plain {@link albumsToDeliver} when no album qualifies.
 */
export function crashAlbum(plan: readonly number[][], entries: readonly FixtureEntry[], share: number): number {
  const photos = (album: readonly number[]) => album.length === 10 && album.every((index) => entries[index]?.kind === 'photo');
  let best: { number: number; distance: number } | undefined;
  let delivered = 0;
  for (let number = 1; number < plan.length; number++) {
    delivered += plan[number - 1]!.length;
    if (!photos(plan[number - 1]!) || plan[number]!.some((index) => entries[index]?.kind === 'video')) continue;
    const distance = Math.abs(delivered / entries.length - share);
    if (!best || distance < best.distance) best = { number, distance };
  }
  return best?.number ?? albumsToDeliver(plan, share, entries.length);
}
