import { join } from 'node:path';
import { BehaviorSubject, lastValueFrom, of, tap, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { send } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { spaceLedger } from '../../src/spaceLedger.js';
import type { Step } from '../../src/step.js';
import { stepsOf } from '../support/runSend.js';
import { sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const minFree = 1_000_000;
const entrySize = 50_000;
const docs = (prefix: string) => Array.from({ length: 4 }, (_, i) => ({ name: `${prefix}${i}.txt`, data: textBytes(entrySize, `${prefix}${i}`) }));

describe('two runs at once sharing a space ledger (--jobs 2)', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('lets only one run write while there is room for one entry, and delivers both archives in full', async () => {
    const first = docs('a');
    const second = docs('b');
    await writeZip(join(workspace.root, 'a.zip'), first);
    await writeZip(join(workspace.root, 'b.zip'), second);
    // Room for one entry above the threshold, whatever is written: only the ledger can tell the
    // runs apart from one run alone.
    const probe = () => of({ free: minFree + entrySize + 10_000, size: 1e12 });
    const ledger = spaceLedger();
    const sink = await dirSink(workspace.out);
    // Both runs hold their first entry until both are open, so that their entries meet at the gate
    // whatever the machine's load: otherwise one run may be done before the other has opened.
    const hold = new BehaviorSubject(true);
    let opened = 0;
    const options = { sink, state: workspace.state, minFree, probe, recheckEvery: 20, ledger, paused: hold };

    const runs = await Promise.all(
      ['a.zip', 'b.zip'].map((name) =>
        lastValueFrom(
          send(join(workspace.root, name), options).pipe(
            tap((step) => {
              if (step.kind === 'opened' && ++opened === 2) setImmediate(() => hold.next(false));
            }),
            toArray(),
          ),
        ),
      ),
    );

    const paused = runs.flatMap((steps: Step[]) => stepsOf(steps, 'paused'));
    expect(paused).toHaveLength(1);
    expect(paused[0]).toMatchObject({ free: minFree + 10_000, needed: minFree + entrySize });
    expect(runs.map((steps) => stepsOf(steps, 'resumed').length).sort()).toEqual([0, 1]);
    expect(ledger.promised).toBe(0);
    expect(await deliveredDigests(workspace.out)).toEqual(
      [...first, ...second].map((file) => ({ entry: file.name, sha256: sha256(file.data) })).sort((a, b) => a.entry.localeCompare(b.entry)),
    );
  });
});
