import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestData } from '../../src/state/manifest.js';
import { archivePaths } from '../../src/state/stateDir.js';
import { createWorkspace, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import type { AheadSendPlan } from './aheadSendChild.js';
import { type CliExit, killLeftovers, startCli } from './cliProcess.js';
import { deliveredOnce, deliveryReport, neverWrong } from './deliveryReport.js';
import { type ArchiveKind, mixedFiles, writeArchive } from './mixedArchive.js';

const child = resolve('dist', 'spec', 'resume', 'aheadSendChild.js');
const files = mixedFiles(60, 'ahead-crash');
const albumSize = 5;

/** One line the child writes as it is about to place an album (or kill itself instead). */
interface DeliveryLine {
  readonly delivery: number;
  readonly album: string;
  /** The album prepared behind it, if any. */
  readonly prepared: string | null;
  /** Whether every file of that album was on disk when it was prepared. */
  readonly preparedWritten: boolean | null;
}

const linesOf = (exit: CliExit): DeliveryLine[] =>
  exit.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as DeliveryLine);

/** How one run is made to die: in a delivery once the album behind is prepared, or at a crash point. */
type Kill = { readonly inDelivery: number } | { readonly at: string };

describe.each(['zip', 'tar.gz'] as ArchiveKind[])('a %s run killed with one album in delivery and the next one prepared', (format) => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await killLeftovers();
    await removeWorkspace(workspace);
  });

  it('sends every entry exactly once and byte for byte in the end, each album under the id recorded before the kill', async () => {
    const archive = join(workspace.root, `phone.${format}`);
    await writeArchive(format, archive, files);
    const paths = archivePaths(workspace.state, archive);
    const plan: AheadSendPlan = { archive, state: workspace.state, out: workspace.out, albumSize };
    const run = (extra: Partial<AheadSendPlan>, env: NodeJS.ProcessEnv = {}) => startCli([JSON.stringify({ ...plan, ...extra })], env, child).exited;
    const readManifest = async () => JSON.parse(await readFile(paths.manifest, 'utf8')) as ManifestData;
    /** Album ids that a killed run left in flight: each must reach the sink once, under that id. */
    const leftInFlight = new Set<string>();

    const kills: Kill[] = [{ inDelivery: 2 }, { at: 'after-sink:2' }, { inDelivery: 1 }, { at: 'manifest-write:4' }, { inDelivery: 3 }];
    for (const kill of kills) {
      const exit = 'inDelivery' in kill ? await run({ killInDelivery: kill.inDelivery }) : await run({}, { UNSPOOL_CRASH_AT: kill.at });
      const context = `${JSON.stringify(kill)}: ${exit.stderr}`;
      expect(exit.signal, context).toBe('SIGKILL');
      const lines = linesOf(exit);
      const manifest = await readManifest();
      if ('inDelivery' in kill) {
        // It died delivering album k, with album k+1 written and prepared behind it: both are
        // recorded in flight, and k+1 is not in the sink (k may be, when it is an album that a run
        // before placed and was killed before recording).
        const last = lines.at(-1)!;
        expect(last.delivery, context).toBe(kill.inDelivery);
        expect(last.prepared, context).not.toBeNull();
        expect(last.preparedWritten, context).toBe(true);
        expect(Object.keys(manifest.inFlight), context).toEqual(expect.arrayContaining([last.album, last.prepared]));
        const inSink = new Set((await readAlbums(workspace.out)).map((album) => album.id));
        expect(inSink.has(last.prepared!), context).toBe(false);
      } else if (kill.at.startsWith('after-sink')) {
        // It died right after album k was placed, album k+1 prepared behind it.
        const last = lines.at(-1)!;
        expect(last.prepared, context).not.toBeNull();
        expect(Object.keys(manifest.inFlight), context).toEqual(expect.arrayContaining([last.album, last.prepared]));
      }
      for (const id of Object.keys(manifest.inFlight)) leftInFlight.add(id);
      const report = await deliveryReport(workspace.out, files, albumSize);
      expect(neverWrong(report), context).toEqual({ duplicated: [], unknown: [], wrongBytes: [], idsInTwoFolders: [], strayFiles: [], badAlbums: [] });
    }

    const final = await run({});
    expect(final.code, final.stderr).toBe(0);
    const report = await deliveryReport(workspace.out, files, albumSize);
    expect(report).toEqual(deliveredOnce(report, files.length));
    const ids = new Set((await readAlbums(workspace.out)).map((album) => album.id));
    expect([...leftInFlight].filter((id) => !ids.has(id))).toEqual([]);
    const manifest = await readManifest();
    expect(manifest.inFlight).toEqual({});
    expect(manifest.delivered).toEqual([[0, files.length - 1]]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  }, 120_000);
});
