import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { progressDisplay } from '../../src/cli/progress.js';
import { runNotices } from '../../src/cli/runNotices.js';
import { RunActivity, type Stall, watchStall } from '../../src/runActivity.js';

describe('RunActivity', () => {
  it('says where the run is and how long it has not moved, but never idles at a deliberate wait', () => {
    let now = 1_000;
    const activity = new RunActivity(() => now);
    activity.enter('writing an entry to a temp file', 'DCIM/1.jpg');
    now += 400;
    expect(activity.where).toBe('writing an entry to a temp file (DCIM/1.jpg)');
    expect(activity.idleFor()).toBe(400);
    activity.moved();
    expect(activity.idleFor()).toBe(0);
    activity.enter('waiting for free space');
    now += 10_000;
    expect(activity.idleFor()).toBe(0);
    expect(activity.where).toBe('waiting for free space');
  });
});

describe('watchStall', () => {
  it('reports a run that has not moved for `after`, again after each further `after`, and starts afresh once it moves', async () => {
    const activity = new RunActivity();
    activity.enter('delivering an album', 'a.jpg and 3 more');
    const stalls: Stall[] = [];
    const stop = watchStall(activity, (stall) => stalls.push(stall), { after: 60, checkEvery: 10 });
    await sleep(150);
    expect(stalls.length).toBe(2);
    expect(stalls[0]!.where).toBe('delivering an album (a.jpg and 3 more)');
    expect(stalls[0]!.idleFor).toBeGreaterThanOrEqual(60);
    activity.moved();
    await sleep(40);
    expect(stalls.length).toBe(2);
    await sleep(60);
    expect(stalls.length).toBe(3);
    stop();
  });

  it('says nothing while the run is excused (a flood wait, the network gone)', async () => {
    const activity = new RunActivity();
    const stalls: Stall[] = [];
    const stop = watchStall(activity, (stall) => stalls.push(stall), { after: 20, checkEvery: 5, excused: () => true });
    await sleep(80);
    stop();
    expect(stalls).toEqual([]);
  });

  it('does not keep the process alive: its timer is unreferenced', () => {
    const before = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const stop = watchStall(new RunActivity(), () => {}, { after: 1_000, checkEvery: 100 });
    const after = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    stop();
    // An unreferenced timer is not an active resource.
    expect(after).toBe(before);
  });
});

describe('runNotices', () => {
  /** runNotices as the CLI makes it, writing to an array, without a terminal. */
  function notices(networkWait: number, stallAfter = 60_000) {
    const lines: string[] = [];
    const logged: string[] = [];
    const made = runNotices({
      archive: 'photos.zip',
      progress: progressDisplay({ isTTY: false } as NodeJS.WriteStream),
      log: (event) => logged.push(event),
      networkWait,
      stallAfter,
      write: (line) => lines.push(line),
    });
    return { ...made, lines, logged };
  }

  it('tells when Telegram is out of reach, for how long it waits, and when it is back', () => {
    const run = notices(900_000);
    run.network.onChange?.({ up: false, since: Date.now() - 5_000 });
    run.network.onChange?.({ up: true });
    run.stop();
    expect(run.lines[0]).toMatch(/^unspool: photos\.zip: cannot reach Telegram since \d\d:\d\d:\d\d: waiting for the network; waiting up to 15 min \(--network-wait\), then stopping: run the same command again to resume$/);
    expect(run.lines[1]).toMatch(/^unspool: photos\.zip: Telegram is reachable again after 5 s; going on$/);
    expect(run.logged).toEqual(['network-down', 'network-up']);
    expect(run.network.giveUpAfter).toBe(900_000);
  });

  it('tells of a stall with where the run stands, but not during a flood wait or while the network is gone', async () => {
    const run = notices(900_000, 30);
    run.activity.enter('writing an entry to a temp file', 'clip.mp4');
    run.onFloodWait(1, 'upload.SaveFilePart');
    await sleep(300);
    expect(run.lines).toEqual([]);
    await sleep(1_000);
    run.stop();
    expect(run.lines[0]).toMatch(/^unspool: photos\.zip: no progress for \d+ s: the run is at writing an entry to a temp file \(clip\.mp4\)$/);
    expect(run.logged).toContain('stalled');
  });
});
