/**
 * The process the HTTP benchmark serves its archives from (see `fileServerProcess.ts`): a
 * {@link startFileServer} on a loopback port, apart from the bench process so that its event loop
 * is not held up by the bench's `/proc` polling, and apart from unspool so that its memory is not
 * counted as unspool's. It talks over the IPC channel: it announces `{ kind: 'listening', port }`,
 * and answers `{ kind: 'configure', ranges }` with `{ kind: 'configured' }` and `{ kind: 'reset' }`
 * with `{ kind: 'served', … }` (the requests since the last reset, its CPU time since then and its
 * peak RSS).
 *
 * Usage: node dist/bench/fileServerChild.js <file>... (with an IPC channel, as `fork` opens)
 */
import { startFileServer } from './fileServer.js';
import type { ServerMessage, ServerOrder } from './fileServerProcess.js';

const files = process.argv.slice(2);
if (!files.length || !process.send) throw new Error('usage: fork fileServerChild.js <file>...');
const tell = (message: ServerMessage) => process.send!(message);
const server = await startFileServer(files);
let cpu = process.cpuUsage();
process.on('message', (order: ServerOrder) => {
  if (order.kind === 'configure') {
    server.configure({ ranges: order.ranges });
    tell({ kind: 'configured' });
  } else {
    const { requests, connections } = server.reset();
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    tell({ kind: 'served', requests, connections, cpuSeconds: (used.user + used.system) / 1e6, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
  }
});
// The channel closing is the bench saying goodbye (or dying): either way, stop serving.
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
tell({ kind: 'listening', port: server.port });
