/**
 * Random numbers that a seed fully decides (mulberry32), so that a crash test whose kills landed
 * somewhere unlucky can be run again with exactly the same kills.
 */
export interface SeededRandom {
  /** The seed it was made from, to print beside a failure. */
  readonly seed: number;
  /** A number in [0, 1). */
  next(): number;
  /** A whole number from `min` to `max`, both included. */
  int(min: number, max: number): number;
  /** The items in a new order. */
  shuffle<T>(items: readonly T[]): T[];
}

/**
 * A {@link SeededRandom} over mulberry32, which is small and good enough to spread kills over a run.
 *
 * @param seed Any 32-bit whole number.
 */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const shuffle = <T>(items: readonly T[]): T[] => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = int(0, i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  };
  return { seed: seed >>> 0, next, int, shuffle };
}

/**
 * The seed of this test run: `$CRASH_SEED` when set (to replay a failure), else a fresh one. Tests
 * print it in their names, so a failure report always says how to replay it.
 */
export function crashSeed(): number {
  const given = process.env.CRASH_SEED;
  if (given !== undefined && given !== '') return Number(given) >>> 0;
  return Math.floor(Math.random() * 4_294_967_296);
}
