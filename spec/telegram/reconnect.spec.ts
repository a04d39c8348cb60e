import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { Api } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { send } from '../../src/pipeline.js';
import { telegramSink } from '../../src/sinks/telegram/telegramSink.js';
import { mixedFiles, writeArchive } from '../resume/mixedArchive.js';
import { TelegramWire } from '../support/telegramWire.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';

describe('the Telegram sink while gramjs reconnects', () => {
  let workspace: Workspace;
  let wire: TelegramWire;

  beforeEach(async () => {
    workspace = await createWorkspace();
    wire = await TelegramWire.start();
  });

  afterEach(async () => {
    await wire.close();
    await removeWorkspace(workspace);
  });

  it.each([4, 8, 16])('with %i parts in flight, gets every part answered when connections drop under them, each file posted once', async (partsInFlight) => {
    const files = mixedFiles(24, 'reconnect');
    const archive = join(workspace.root, 'camera.zip');
    await writeArchive('zip', archive, files);
    let drops = 0;
    // Telegram keeps each part, and the client never hears: gramjs reconnects, and parts asked for
    // meanwhile (a slot freed, the next album prepared) must wait for the new connection.
    wire.onRequest = (request) => (request instanceof Api.upload.SaveFilePart && drops++ < 5 ? 'drop-connection' : undefined);
    const client = wire.client();
    await client.connect();
    const sink = telegramSink({ client, peer: new Api.InputPeerSelf(), chat: 'me', partsInFlight });
    await lastValueFrom(send(archive, { sink, state: workspace.state, minFree: 1_000_000, albumSize: 4 }));
    expect(drops).toBeGreaterThanOrEqual(5);
    expect(wire.accepted).toBeGreaterThan(1);
    const posted = wire.recorder.server.messages.map((message) => `${message.caption} ${message.sha256}`).sort();
    expect(posted).toEqual(files.map((file) => `${file.name} ${file.sha256}`).sort());
  });
});
