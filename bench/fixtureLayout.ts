/**
 * What the benchmark archives hold, entry by entry: a year of a phone's camera roll and documents,
 * about 1 GB, decided by a seeded generator so every machine benches the same archive.
 */

/** How an entry's bytes look, which decides how a real zipper would store it. */
export type FixtureKind = 'photo' | 'video' | 'pdf' | 'text';

/** One file of the benchmark archives, in archive order. */
export interface FixtureEntry {
  /** Position in both archives (zip central directory and tar stream), from 0. */
  readonly index: number;
  /** The path inside the archive. */
  readonly name: string;
  /** Uncompressed bytes. */
  readonly size: number;
  readonly kind: FixtureKind;
}

/** A small, fast, seeded generator (mulberry32): the same seed gives the same layout everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const textExtensions = ['txt', 'md', 'csv', 'html', 'json'];
/** Months with a video: four videos of 50–200 MB in the year. */
const videoMonths = new Set([3, 6, 9, 12]);

/**
 * The benchmark's entries: for each month of 2023, ten photos of 2–8 MB (with a 50–200 MB video
 * among them in March, June, September and December) under `Phone/2023-MM/`, then 25 text documents of
 * 2–100 KB and two PDFs of 0.3–3 MB under `Documents/2023-MM/`. Media and documents alternate
 * through the archive, so any point of it (10 % or 90 % in) looks alike to a resumed run.
 *
 * @return 448 entries, about 1.1 GB in all.
 */
export function fixtureLayout(): FixtureEntry[] {
  const random = seededRandom(2023);
  const between = (low: number, high: number) => Math.round(low + random() * (high - low));
  const entries: FixtureEntry[] = [];
  const add = (name: string, size: number, kind: FixtureKind) => entries.push({ index: entries.length, name, size, kind });
  for (let month = 1; month <= 12; month++) {
    const folder = `2023-${pad(month)}`;
    let minute = 0;
    const stamp = (day: number) => `2023${pad(month)}${pad(day)}_${pad(9 + Math.floor(minute / 60))}${pad(minute % 60)}${pad(between(0, 59))}`;
    for (let photo = 0; photo < 10; photo++) {
      minute += between(1, 50);
      const day = 1 + photo * 2;
      add(`Phone/${folder}/IMG_${stamp(day)}.jpg`, between(2_000_000, 8_000_000), 'photo');
      if (photo === 4 && videoMonths.has(month)) add(`Phone/${folder}/VID_${stamp(day)}.mp4`, between(50_000_000, 200_000_000), 'video');
    }
    for (let doc = 0; doc < 25; doc++) {
      const extension = textExtensions[doc % textExtensions.length]!;
      add(`Documents/${folder}/notes-${pad(doc + 1, 3)}.${extension}`, between(2_000, 100_000), 'text');
    }
    add(`Documents/${folder}/statement-${folder}.pdf`, between(300_000, 3_000_000), 'pdf');
    add(`Documents/${folder}/invoice-${folder}.pdf`, between(300_000, 3_000_000), 'pdf');
  }
  return entries;
}
