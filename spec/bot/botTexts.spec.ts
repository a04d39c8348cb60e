import { describe, expect, it } from 'vitest';
import { statusText } from '../../src/bot/botTexts.js';
import type { Job } from '../../src/bot/job.js';
import { liveProgress } from '../../src/bot/liveProgress.js';

const job = { id: 3, source: '/data/camera.zip', name: 'camera.zip', chat: { kind: 'user', id: '42' }, state: 'running', createdAt: '2026-12-01T00:00:00Z' } as unknown as Job;

describe('the /status text of a running job', () => {
  it('says the bot is waiting for the network, and for how long, while Telegram is out of reach', () => {
    const now = Date.now();
    const live = liveProgress(now - 120_000);
    const text = statusText(job, live, now, { up: false, since: now - 95_000 });
    expect(text).toContain('Waiting for the network: Telegram out of reach for 1 min 35 s.');
  });

  it('says where a job stands that has made no progress, and not once the network is the reason', () => {
    const now = Date.now();
    const live = liveProgress(now - 120_000);
    live.stalled = { where: 'writing an entry to a temp file (DCIM/1.jpg)', idleFor: 61_000 };
    expect(statusText(job, live, now, { up: true })).toContain('No progress for 1 min 1 s: at writing an entry to a temp file (DCIM/1.jpg).');
    expect(statusText(job, live, now, { up: false, since: now - 5_000 })).not.toContain('No progress');
  });

  it('says neither when all is well', () => {
    const now = Date.now();
    const text = statusText(job, liveProgress(now - 1_000), now, { up: true });
    expect(text).not.toMatch(/Waiting for the network|No progress/);
  });
});
