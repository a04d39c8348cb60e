/**
 * How a remote archive's address is shown and remembered. Tokens live in query strings (signed
 * S3 and CDN links, `?token=…`) and in user info (`user:password@`), so neither is ever printed,
 * logged or written to a manifest. This module does no I/O, so the pipeline can load it for every
 * run without loading the HTTP client.
 */

/** Whether an archive argument is an `http://` or `https://` address rather than a local path. */
export function isHttpUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/**
 * An address as it may be shown: the query string replaced by `?…`, user info by `…@`, the
 * fragment dropped.
 *
 * ## Examples
 * ```ts
 * import { redactUrl } from './redactUrl.js';
 * redactUrl('https://cdn.example/a.zip?token=secret'); // 'https://cdn.example/a.zip?…'
 * ```
 *
 * @param url Any address; text that does not parse as a URL is cut at its first `?`.
 * @return The address without its secrets.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const query = url.indexOf('?');
    return query < 0 ? url.replace(/#.*$/, '') : `${url.slice(0, query)}?…`;
  }
  const userInfo = parsed.username || parsed.password ? '…@' : '';
  return `${parsed.protocol}//${userInfo}${parsed.host}${parsed.pathname}${parsed.search ? '?…' : ''}`;
}

/**
 * The part of an address that names the file: scheme, host and path, without user info, query or
 * fragment. It identifies a remote archive across runs, so a signed link renewed with a fresh
 * token still resumes the same delivery.
 *
 * @param url An `http(s)` address.
 */
export function urlWithoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
