import { statfs } from 'node:fs/promises';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';

/** Bytes as decimal megabytes with one decimal, as unspool's own sizes are decimal: `123.4`. */
export const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(1);

/** Milliseconds as seconds with two decimals: `12.34`. */
export const seconds = (ms: number): string => (ms / 1000).toFixed(2);

/** A ratio with two decimals and a times sign: `1.23×`. */
export const times = (ratio: number): string => `${ratio.toFixed(2)}×`;

/** The middle value (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One row of a {@link table}: column heading to cell text. */
export type Row = Record<string, string>;

/**
 * Lays rows out as aligned plain text (numbers right-aligned, words left-aligned), with a heading
 * line and a rule under it. Columns are the union of the rows' keys, in first-seen order.
 *
 * @return The lines.
 */
export function table(rows: readonly Row[]): string[] {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => (row[column] ?? '').length)));
  const numeric = columns.map((column) => rows.every((row) => /^[-\d.,×%]*$/.test(row[column] ?? '')));
  const line = (cells: readonly string[]) =>
    cells.map((cell, at) => (numeric[at] ? cell.padStart(widths[at]!) : cell.padEnd(widths[at]!))).join('  ').trimEnd();
  return [
    line(columns),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((row) => line(columns.map((column) => row[column] ?? ''))),
  ];
}

/**
 * What the numbers were measured on: CPUs, memory, Node, kernel, free disk where the benchmark
 * writes, and the load average (other work on the machine skews every number).
 *
 * @param folder The cache folder (its file system's free space is reported).
 */
export async function machine(folder: string): Promise<string[]> {
  const processors = cpus();
  const { bavail, bsize, blocks } = await statfs(folder);
  return [
    `cpus:   ${processors.length} × ${processors[0]?.model.trim() ?? 'unknown'}`,
    `memory: ${(totalmem() / 1e9).toFixed(1)} GB, ${(freemem() / 1e9).toFixed(1)} GB free (archives are read from the page cache after the first run)`,
    `node:   ${process.version} on Linux ${release()}`,
    `disk:   ${((bavail * bsize) / 1e9).toFixed(1)} GB free of ${((blocks * bsize) / 1e9).toFixed(1)} GB at ${folder}`,
    `load:   ${loadLine()}`,
  ];
}

/** The load averages, to show whether something else was running: `0.12 0.30 0.25 (1, 5, 15 min averages)`. */
export function loadLine(): string {
  return `${loadavg().map((each) => each.toFixed(2)).join(' ')} (1, 5, 15 min averages)`;
}
