/**
 * What tells one version of a remote file from another: its ETag and Last-Modified, as the first
 * answer gave them. Every later answer is checked against them, so that bytes of two versions of
 * a file are never mixed.
 */
export interface Validators {
  readonly etag?: string;
  readonly lastModified?: string;
}

/** The validators an answer carries. */
export function validatorsOf(response: Response): Validators {
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  return { ...(etag !== null ? { etag } : {}), ...(lastModified !== null ? { lastModified } : {}) };
}

/**
 * Headers that make the server refuse, rather than serve, a file that changed: `If-Match` with a
 * strong ETag (a changed file gets 412), else `If-Unmodified-Since`; and for a range, `If-Range`
 * (a changed file gets a 200 with the whole new file, which is refused unread). A weak ETag cannot
 * be used in either (they compare strongly), so the date stands in for it.
 *
 * @param validators What the first answer gave.
 * @param ranged Whether the request carries a `Range`.
 */
export function conditionalHeaders(validators: Validators, ranged: boolean): Record<string, string> {
  const { etag, lastModified } = validators;
  if (etag !== undefined && !etag.startsWith('W/')) return { 'if-match': etag, ...(ranged ? { 'if-range': etag } : {}) };
  if (lastModified !== undefined) return { 'if-unmodified-since': lastModified, ...(ranged ? { 'if-range': lastModified } : {}) };
  return {};
}

/**
 * Whether an answer is from another version of the file than `validators` describe: an ETag or
 * Last-Modified that differs. A validator the answer leaves out proves nothing either way.
 */
export function isOtherVersion(response: Response, validators: Validators): boolean {
  const { etag, lastModified } = validatorsOf(response);
  return (
    (validators.etag !== undefined && etag !== undefined && etag !== validators.etag) ||
    (validators.lastModified !== undefined && lastModified !== undefined && lastModified !== validators.lastModified)
  );
}

/** A `Content-Range: bytes <first>-<last>/<total>` header, with `total` undefined for `*`. */
export interface ContentRange {
  readonly first: number;
  readonly last: number;
  readonly total: number | undefined;
}

/** Reads `bytes a-b/n` (or `bytes a-b/*`); `undefined` for anything else. */
export function parseContentRange(header: string | null): ContentRange | undefined {
  const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { first: Number(match[1]), last: Number(match[2]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

/** The total of an unsatisfied range's `Content-Range: bytes *\/<total>`, if that is what it is. */
export function unsatisfiedTotal(header: string | null): number | undefined {
  const match = /^bytes\s+\*\/(\d+)$/i.exec(header?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}
