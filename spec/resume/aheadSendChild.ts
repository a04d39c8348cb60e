import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, from, lastValueFrom } from 'rxjs';
import { send } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { Album } from '../../src/step.js';

/**
 * The child process of the album-ahead crash spec: `send()` of an archive into a folder sink that
 * holds each album until the album behind it has been prepared (its files written, so two albums
 * are on disk), and only then places it. It can SIGKILL itself right there, with album k in
 * delivery and album k+1 prepared, and `UNSPOOL_CRASH_AT=after-sink:<n>` kills it once album n
 * is placed, before the manifest knows.
 *
 * Run as `node dist/spec/resume/aheadSendChild.js '<plan as JSON>'` (see {@link AheadSendPlan}).
 * It writes one JSON line to stdout per album it is about to place or kill itself on, telling
 * which album was prepared behind it; it exits 0 once the run is done.
 */

/** What the child sends, and where it kills itself. */
export interface AheadSendPlan {
  readonly archive: string;
  readonly state: string;
  readonly out: string;
  readonly albumSize: number;
  /** The delivery (1-based, in this run) during which the process kills itself, once the album behind is prepared. */
  readonly killInDelivery?: number;
}

const plan = JSON.parse(process.argv[2]!) as AheadSendPlan;
const inner = await dirSink(plan.out);
const prepared: { album: Album; allWritten: boolean }[] = [];
let deliveries = 0;

const sink: Sink = {
  name: inner.name,
  async deliver(album, signal) {
    const delivery = ++deliveries;
    const before = prepared.length;
    // The album behind this one is prepared as soon as it is formed; the last album has none.
    for (let waited = 0; prepared.length === before && waited < 1_000; waited += 10) await sleep(10);
    const behind = prepared[before];
    const line = { delivery, album: album.id, prepared: behind?.album.id ?? null, preparedWritten: behind?.allWritten ?? null };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (delivery === plan.killInDelivery && behind) process.kill(process.pid, 'SIGKILL');
    return firstValueFrom(from(inner.deliver(album, signal)));
  },
  async prepare(album) {
    prepared.push({ album, allWritten: album.files.every((file) => existsSync(file.path)) });
  },
};

await lastValueFrom(send(plan.archive, { sink, state: plan.state, albumSize: plan.albumSize, minFree: 1_000_000 }), { defaultValue: undefined });
