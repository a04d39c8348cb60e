import { readdirSync, readFileSync } from 'node:fs';

/** A live process as `/proc/<pid>/stat` shows it. */
interface ProcessInfo {
  readonly pid: number;
  readonly parent: number;
  /** The command name (at most 15 characters), which changes when the process execs. */
  readonly command: string;
}

/** Every live process, by parent pid (Linux only). */
function processesByParent(): Map<number, ProcessInfo[]> {
  const children = new Map<number, ProcessInfo[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // it exited between the listing and the read
    }
    // The command name is in parentheses and may hold spaces or parentheses itself.
    const close = stat.lastIndexOf(')');
    const info = { pid: Number(name), parent: Number(stat.slice(close + 2).split(' ')[1]), command: stat.slice(stat.indexOf('(') + 1, close) };
    const list = children.get(info.parent) ?? [];
    list.push(info);
    children.set(info.parent, list);
  }
  return children;
}

function tree(root: number): ProcessInfo[] {
  const children = processesByParent();
  const found: ProcessInfo[] = [{ pid: root, parent: 0, command: '' }];
  for (let at = 0; at < found.length; at++) found.push(...(children.get(found[at]!.pid) ?? []));
  return found;
}

/**
 * A process and all its live descendants, the process first.
 *
 * @param root The process.
 */
export function processTree(root: number): number[] {
  return tree(root).map((each) => each.pid);
}

/** `VmHWM` (the process's own peak resident set) of a live process in bytes, or 0 if it is gone. */
function highWaterMark(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function commandOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  } catch {
    return '';
  }
}

/** What {@link processTreeSampler} found so far. */
export interface TreeMemory {
  /** Largest sum, over one sample, of `VmHWM` of every live process of the tree. */
  readonly peakBytes: number;
  /** Largest process count seen in one sample. */
  readonly processes: number;
}

/**
 * Samples the memory of a process and its descendants from `/proc`: at each call it finds the live
 * tree and sums each process's `VmHWM`. The peak of those sums is reported: exact for one
 * long-lived process (its high-water mark cannot be missed between samples, except what it grows in
 * the last interval before exit), and for a pipeline such as `tar` with `gzip` an upper bound of
 * what the processes held at one time. Short-lived helpers (unspool's `df` for free space) count
 * only while they are alive, and a child caught between `fork` and `exec` (still named like its
 * parent) is left out: it shares its parent's pages, and counting them would count the parent twice.
 *
 * @param root The process to watch.
 * @param skipRoot Leave the root itself out (it is a wrapper such as `/usr/bin/time`).
 */
export function processTreeSampler(root: number, skipRoot = false) {
  let peakBytes = 0;
  let processes = 0;
  return {
    sample(): void {
      const found = tree(root);
      const commands = new Map(found.map((each) => [each.pid, each.command || commandOf(each.pid)]));
      const counted = found.filter((each, at) => (at === 0 ? !skipRoot : each.command !== commands.get(each.parent)));
      const sum = counted.reduce((total, each) => total + highWaterMark(each.pid), 0);
      peakBytes = Math.max(peakBytes, sum);
      processes = Math.max(processes, counted.length);
    },
    result(): TreeMemory {
      return { peakBytes, processes };
    },
  };
}
