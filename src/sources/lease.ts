/**
 * A one-shot signal from the pipeline back to a source: "I am done with this entry, read the next".
 * `released` settles once, however often `release` is called.
 */
export interface Lease {
  readonly released: Promise<void>;
  release(): void;
}

/** Creates an unreleased {@link Lease}. */
export function createLease(): Lease {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { released, release };
}
