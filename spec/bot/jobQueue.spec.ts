import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/bot/jobQueue.js';
import { ConfigError } from '../../src/errors.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';

const chat = { kind: 'user', id: '4242', accessHash: '99' } as const;

describe('JobQueue', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('numbers jobs from 1, keeps them across a reopen, and never reuses a number', async () => {
    const queue = await JobQueue.open(workspace.state);
    const first = await queue.add({ source: '/a.zip', name: 'a.zip', chat });
    const second = await queue.add({ source: '/b.zip', name: 'b.zip', chat });
    await queue.update(first, { state: 'done', progress: { delivered: 3, deliveredBytes: 9, albums: 1, skipped: 0, failed: 0 } });
    await queue.setPaused(true);
    const again = await JobQueue.open(workspace.state);
    expect(again.paused).toBe(true);
    expect(again.jobs.map((job) => [job.id, job.state])).toEqual([[1, 'done'], [2, 'waiting']]);
    expect(again.waiting().map((job) => job.id)).toEqual([second.id]);
    expect((await again.add({ source: '/c.zip', name: 'c.zip', chat })).id).toBe(3);
  });

  it('drops a field set to undefined, and leaves no temp file beside the queue', async () => {
    const queue = await JobQueue.open(workspace.state);
    const job = await queue.add({ source: '/a.zip', name: 'a.zip', chat, again: true });
    await Promise.all([queue.update(job, { again: undefined }), queue.update(job, { state: 'running' })]);
    const text = await readFile(join(workspace.state, 'bot', 'queue.json'), 'utf8');
    expect(JSON.parse(text).jobs[0]).not.toHaveProperty('again');
    expect(JSON.parse(text).jobs[0].state).toBe('running');
    expect(await filesUnder(join(workspace.state, 'bot'))).toEqual(['queue.json']);
  });

  it('refuses a queue file it cannot read with a ConfigError that says what to do', async () => {
    await mkdir(join(workspace.state, 'bot'), { recursive: true });
    await writeFile(join(workspace.state, 'bot', 'queue.json'), '{"version": 1, "jobs": [');
    await expect(JobQueue.open(workspace.state)).rejects.toThrow(ConfigError);
    await expect(JobQueue.open(workspace.state)).rejects.toThrow(/is not valid JSON; move it aside to start with an empty queue/);
    await writeFile(join(workspace.state, 'bot', 'queue.json'), '{"version": 7, "jobs": [], "nextId": 1}');
    await expect(JobQueue.open(workspace.state)).rejects.toThrow(/is not a version 1 queue/);
  });

  it('forgets the oldest finished jobs beyond 200, never a waiting one', async () => {
    const queue = await JobQueue.open(workspace.state);
    const waiting = await queue.add({ source: '/w.zip', name: 'w.zip', chat });
    for (let i = 0; i < 205; i++) {
      const job = await queue.add({ source: `/${i}.zip`, name: `${i}.zip`, chat });
      job.state = 'done';
    }
    await queue.add({ source: '/last.zip', name: 'last.zip', chat });
    expect(queue.jobs.filter((job) => job.state === 'done')).toHaveLength(200);
    expect(queue.get(waiting.id)?.state).toBe('waiting');
    expect(queue.jobs.find((job) => job.state === 'done')?.name).toBe('5.zip');
  });
});
