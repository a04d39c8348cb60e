/** One record of a pax extended header: `<length> <keyword>=<value>\n`. */
export interface PaxRecord {
  readonly keyword: string;
  /** The value's bytes as stored: names may not be UTF-8 (see {@link decodeTarName}). */
  readonly value: Uint8Array;
}

/**
 * The records of a pax extended header, in order and with repeats: GNU sparse format 0.0 repeats
 * `GNU.sparse.offset` and `GNU.sparse.numbytes` once per region, which a keyword-to-value object
 * (tar-stream's `header.pax`) would collapse to the last pair. Records are split as tar-stream
 * splits them, stopping at the first one without a length or an `=`, so that the two read the
 * same `size`.
 *
 * @param bytes The extended header's data.
 */
export function parsePaxRecords(bytes: Uint8Array): PaxRecord[] {
  const records: PaxRecord[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    if (space === -1) break;
    const length = parseInt(Buffer.from(rest.subarray(0, space)).toString('latin1'), 10);
    if (!length) break;
    const record = rest.subarray(space + 1, length - 1);
    const equals = record.indexOf(0x3d);
    if (equals === -1) break;
    records.push({ keyword: Buffer.from(record.subarray(0, equals)).toString('utf8'), value: record.subarray(equals + 1) });
    rest = rest.subarray(length);
  }
  return records;
}

/** The last value of `keyword` as UTF-8 text, or `undefined` if no record has it. */
export function paxText(records: readonly PaxRecord[], keyword: string): string | undefined {
  const record = records.findLast((candidate) => candidate.keyword === keyword);
  return record && Buffer.from(record.value).toString('utf8');
}

/** The last value of `keyword` as raw bytes, or `undefined` if no record has it. */
export function paxBytes(records: readonly PaxRecord[], keyword: string): Uint8Array | undefined {
  return records.findLast((candidate) => candidate.keyword === keyword)?.value;
}
