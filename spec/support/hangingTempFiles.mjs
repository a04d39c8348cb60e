/**
 * Preloaded into a CLI child process (`NODE_OPTIONS=--import=<this file>`) by the stall spec: the
 * opening of a temp file (`<state>/tmp/…part`) never settles and holds nothing that keeps the event
 * loop alive, as a lost file-system request would. The run is then left with nothing to wait for,
 * which is what the CLI's last word on a stalled run is for. Other files open as usual.
 */
import fs from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const open = fs.open;
fs.open = function (path, ...rest) {
  if (String(path).endsWith('.part')) return new Promise(() => {});
  return open.call(this, path, ...rest);
};
// `import { open } from 'node:fs/promises'` in the program sees the patched function only after this.
syncBuiltinESMExports();
