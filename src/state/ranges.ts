/**
 * Adds an index to a list of merged, sorted, inclusive ranges, in place: `[[0, 4]]` plus 5 is
 * `[[0, 5]]`. How the manifest keeps delivered entries and confirmed upload parts small.
 */
export function addToRanges(ranges: [number, number][], index: number): void {
  // Entries are settled nearly in order, so the common case touches only the last range.
  let at = ranges.length;
  while (at > 0 && ranges[at - 1]![0] > index) at--;
  const before = ranges[at - 1];
  const after = ranges[at];
  if (before && before[1] >= index) return;
  if (before && before[1] === index - 1) {
    before[1] = index;
    if (after && after[0] === index + 1) {
      before[1] = after[1];
      ranges.splice(at, 1);
    }
  } else if (after && after[0] === index + 1) {
    after[0] = index;
  } else {
    ranges.splice(at, 0, [index, index]);
  }
}

/** Whether an index is in a list of merged, sorted, inclusive ranges (binary search). */
export function inRanges(ranges: readonly [number, number][], index: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [first, last] = ranges[middle]!;
    if (index < first) high = middle - 1;
    else if (index > last) low = middle + 1;
    else return true;
  }
  return false;
}
