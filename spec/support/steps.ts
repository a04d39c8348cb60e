import type { Entry, MediaType } from '../../src/entry.js';
import type { Step, TempFile } from '../../src/step.js';

/** An entry value for marble tests: its bytes are never read, and its releases are counted. */
export interface TestEntry extends Entry {
  readonly releases: number;
}

/** Makes an entry value whose `release` calls are counted in `releases`. */
export function testEntry(index: number, name: string, fields: Partial<Entry> = {}): TestEntry {
  const entry = {
    archive: 'test.zip',
    index,
    name,
    size: 100,
    kind: 'file' as const,
    media: 'document' as MediaType,
    encrypted: false as const,
    releases: 0,
    open(): never {
      throw new Error('marble tests do not read entry bytes');
    },
    release() {
      entry.releases++;
    },
    ...fields,
  };
  return entry;
}

/** An `entry` step. */
export const entryStep = (entry: Entry): Step => ({ kind: 'entry', entry });

/** A `materialised` step for a file of the given media type. */
export function materialisedStep(index: number, media: MediaType): Step & { kind: 'materialised' } {
  const entry = testEntry(index, `file${index}`, { media });
  const file: TempFile = { entry, path: `/tmp/t/${index}.part`, size: entry.size, media };
  return { kind: 'materialised', file };
}
