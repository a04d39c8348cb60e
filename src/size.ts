const units: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  tib: 2 ** 40,
};

/**
 * Parses a size such as `3GB` (decimal, 3 000 000 000), `500MiB` (binary), `1.5G` or plain bytes.
 * Units are case-insensitive.
 *
 * @throws TypeError naming the value when it is not a size.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? units[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new TypeError(`"${text}" is not a size: use bytes or a unit such as 500MB, 500MiB, 3GB`);
  }
  return Math.round(Number(match[1]) * unit);
}

/** Formats bytes for people, in decimal units: `3.2 GB`, `512 kB`, `17 B`. */
export function formatBytes(bytes: number): string {
  const steps = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let step = 0;
  while (Math.abs(value) >= 1000 && step < steps.length - 1) {
    value /= 1000;
    step++;
  }
  return `${step === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${steps[step]}`;
}
