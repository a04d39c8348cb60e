/**
 * Test seam for the crash tests: when `UNSPOOL_CRASH_AT` is `<point>:<n>`, the process kills itself
 * with SIGKILL the n-th time it passes `point` (counting from 1). The points sit at the edges (the
 * manifest's writer and the sinks), never in the pipe: `manifest-write` (the manifest's temp file
 * exists, the rename has not happened), `after-sink` (a sink has placed or posted an album, the
 * manifest does not know yet), `telegram-sent` (Telegram's answer to one send of an album is
 * recorded, the next send is not made yet). Unset in normal use, where this does nothing.
 */
export function crashPoint(point: string): void {
  const wanted = process.env.UNSPOOL_CRASH_AT;
  if (!wanted) return;
  const [name, nth] = wanted.split(':');
  if (name !== point) return;
  passes.set(point, (passes.get(point) ?? 0) + 1);
  if (passes.get(point) === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}

const passes = new Map<string, number>();
