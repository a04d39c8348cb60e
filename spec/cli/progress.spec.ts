import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressDisplay } from '../../src/cli/progress.js';
import type { Step } from '../../src/step.js';
import { testEntry } from '../support/steps.js';

/** A stream that says it is a terminal, keeping what is written to it. */
function terminal() {
  const stream = Object.assign(new PassThrough(), {
    isTTY: true,
    columns: 160,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

const opened = (network?: { bytesFetched: number }): Step => ({
  kind: 'opened',
  archive: 'a.zip',
  format: 'zip',
  size: 1,
  entryCount: 3,
  settled: 0,
  manifestFile: '/m.json',
  ...(network ? { network } : {}),
});

describe('the progress line', () => {
  it('shows the bytes fetched so far for an archive read over the network', () => {
    const { stream, text } = terminal();
    const progress = progressDisplay(stream);
    const network = { bytesFetched: 0 };
    progress.update(opened(network));
    network.bytesFetched = 5_000_000;
    progress.update({ kind: 'skipped', entry: testEntry(0, 'empty.txt'), reason: 'empty', detail: 'zero bytes' });
    progress.stop();
    expect(text()).toContain('(5.0 MB fetched)');
    expect(text()).toContain('empty.txt');
  });

  it('shows no network bytes for a local archive, and nothing at all off a terminal', () => {
    const { stream, text } = terminal();
    const progress = progressDisplay(stream);
    progress.update(opened());
    progress.update({ kind: 'skipped', entry: testEntry(0, 'empty.txt'), reason: 'empty', detail: 'zero bytes' });
    progress.stop();
    expect(text()).toContain('empty.txt');
    expect(text()).not.toContain('fetched');
    const quiet = new PassThrough();
    let written = '';
    quiet.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const off = progressDisplay(quiet as unknown as NodeJS.WriteStream);
    off.update(opened({ bytesFetched: 1 }));
    off.stop();
    expect(written).toBe('');
  });
});
