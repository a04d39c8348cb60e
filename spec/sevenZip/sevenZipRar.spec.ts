import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../src/entry.js';
import { ArchiveBrokenError, EntryError, PasswordNeededError } from '../../src/errors.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { openArchive } from '../../src/sources/openArchive.js';
import { runSend } from '../support/runSend.js';
import { createWorkspace, deliveredDigests, removeWorkspace, type Workspace } from '../support/workspace.js';

/** One fixture as `spec/fixtures/rar/expected.json` describes it (7-Zip's own view of it). */
interface RarFixture {
  readonly name: string;
  readonly volumes: readonly string[];
  readonly password?: string;
  readonly entries: readonly { name: string; kind: string; size: number; sha256?: string | null }[];
  /** Set when 7-Zip lists the archive with an error (it is cut short). */
  readonly broken?: string;
}

/** What `readAll` gives, last, for an archive that breaks after its entries: the rest is lost. */
const restLost = { name: '(the rest of the archive)', kind: 'broken', size: 0 };

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'rar');
const expected = JSON.parse(await readFile(join(fixtures, 'expected.json'), 'utf8')) as { fixtures: RarFixture[] };

/** What reading an entry gave: its digest, or the reason it failed. */
type Read = { name: string; kind: string; size: number; sha256?: string | null; failed?: string };

/**
 * Reads every entry of an archive through `entries()`, as materialise would; an archive that
 * breaks after them ends with {@link restLost}.
 */
async function readAll(path: string, password?: string): Promise<Read[]> {
  const archive = await openArchive(path, undefined, { password });
  const read: Read[] = [];
  await new Promise<void>((resolve, reject) =>
    archive.entries({ password }).subscribe({
      next: (entry: Entry) => {
        void (async () => {
          const item: Read = { name: entry.name, kind: entry.kind, size: entry.size };
          if (entry.kind === 'file' && entry.size > 0) {
            const hash = createHash('sha256');
            try {
              for await (const chunk of entry.open()) hash.update(chunk);
              item.sha256 = hash.digest('hex');
            } catch (error) {
              item.sha256 = null;
              item.failed = error instanceof EntryError ? error.reason : String(error);
            }
          }
          read.push(item);
          entry.release();
        })();
      },
      error: (error: unknown) => {
        if (!(error instanceof ArchiveBrokenError)) return reject(error);
        read.push(restLost);
        resolve();
      },
      complete: resolve,
    }),
  );
  return read;
}

describe('RAR archives (fixtures from libarchive and rarfile)', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  /** The fixture's volumes copied into the workspace; the first one's path. */
  async function copied(fixture: RarFixture): Promise<string[]> {
    for (const volume of fixture.volumes) await copyFile(join(fixtures, volume), join(workspace.root, volume));
    return fixture.volumes.map((volume) => join(workspace.root, volume));
  }

  it.each(expected.fixtures.map((fixture) => [fixture.name, fixture] as const))('reads %s as 7-Zip lists and extracts it', async (_name, fixture) => {
    const [first] = await copied(fixture);
    const read = await readAll(first!, fixture.password);
    const want = [
      ...fixture.entries.map(({ name, kind, size, sha256 }) => ({ name, kind, size, ...(kind === 'file' && size > 0 && { sha256: sha256 ?? null }) })),
      ...(fixture.broken ? [restLost] : []),
    ];
    expect(read.map(({ failed, ...entry }) => (void failed, entry))).toEqual(want);
  });

  it('opens a volume set from its last volume', async () => {
    const fixture = expected.fixtures.find((candidate) => candidate.name === 'rar5-volumes.part01.rar')!;
    const volumes = await copied(fixture);
    const read = await readAll(volumes.at(-1)!);
    expect(read.map((entry) => entry.sha256)).toEqual(fixture.entries.map((entry) => entry.sha256));
  });

  it('opens an old-style volume set (x.rar, x.r00, x.r01) from any volume', async () => {
    const fixture = expected.fixtures.find((candidate) => candidate.name === 'rar4-volumes.part1.rar')!;
    const names = ['set.rar', 'set.r00', 'set.r01'];
    for (const [n, volume] of fixture.volumes.entries()) await copyFile(join(fixtures, volume), join(workspace.root, names[n]!));
    const read = await readAll(join(workspace.root, 'set.r00'));
    expect(read.map((entry) => entry.sha256)).toEqual(fixture.entries.map((entry) => (entry.kind === 'file' && entry.size > 0 ? entry.sha256 : undefined)));
  });

  it('refuses an archive with encrypted headers without its password, asking for it', async () => {
    const fixture = expected.fixtures.find((candidate) => candidate.name === 'rar5-encrypted-headers.rar')!;
    const [first] = await copied(fixture);
    await expect(openArchive(first!)).rejects.toBeInstanceOf(PasswordNeededError);
    await expect(openArchive(first!, undefined, { password: 'nope' })).rejects.toThrow(/wrong password/);
  });

  it('fails the damaged entry as corrupt', async () => {
    const fixture = expected.fixtures.find((candidate) => candidate.name === 'rar4-corrupt.rar')!;
    const [first] = await copied(fixture);
    const read = await readAll(first!);
    // 7-Zip lists it with "Unexpected end of archive": whatever came after is reported lost too.
    expect(read.map((entry) => entry.failed ?? entry.kind)).toEqual(['corrupt', 'broken']);
  });

  it('delivers what comes before the cut of a RAR cut short, and reports the rest of the archive lost', async () => {
    const fixture = expected.fixtures.find((candidate) => candidate.name === 'rar5-plain.rar')!;
    const whole = await readFile(join(fixtures, fixture.volumes[0]!));
    const cut = join(workspace.root, 'cut.rar');
    // Inside the third entry's data: 7-Zip lists three of the four entries, and says the end is missing.
    await writeFile(cut, whole.subarray(0, 1100));
    const run = await runSend(cut, { sink: await dirSink(workspace.out), state: workspace.state });
    expect(run.summary.delivered).toBe(2);
    expect(run.summary.failed).toEqual([
      { entry: fixture.entries[2]!.name, reason: 'corrupt', detail: expect.any(String) },
      { entry: '(the rest of the archive)', reason: 'archive-broken', detail: expect.stringMatching(/breaks after entry 3: .*could list only 3 entries: Unexpected end of archive/) },
    ]);
    expect(await deliveredDigests(workspace.out)).toEqual(
      fixture.entries.slice(0, 2).map((entry) => ({ entry: entry.name, sha256: entry.sha256 })).sort((a, b) => a.entry.localeCompare(b.entry)),
    );
  });

  it('delivers a solid RAR 5 volume set through send()', async () => {
    const fixture = expected.fixtures.find((candidate) => candidate.name === 'rar5-solid-volumes.part1.rar')!;
    const volumes = await copied(fixture);
    await runSend(volumes[1]!, { sink: await dirSink(workspace.out), state: workspace.state });
    const want = fixture.entries
      .filter((entry) => entry.kind === 'file' && entry.size > 0)
      .map((entry) => ({ entry: entry.name, sha256: entry.sha256 }))
      .sort((a, b) => a.entry.localeCompare(b.entry));
    expect(await deliveredDigests(workspace.out)).toEqual(want);
  });
});
