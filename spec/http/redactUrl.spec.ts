import { describe, expect, it } from 'vitest';
import { isHttpUrl, redactUrl, urlWithoutQuery } from '../../src/sources/http/redactUrl.js';

describe('redactUrl', () => {
  it('replaces the query string with ?…', () => {
    expect(redactUrl('https://cdn.example/a.zip?token=secret&x=1')).toBe('https://cdn.example/a.zip?…');
  });

  it('replaces user info with …@ and drops the fragment', () => {
    expect(redactUrl('https://me:secret@cdn.example:8443/a.zip#part')).toBe('https://…@cdn.example:8443/a.zip');
  });

  it('leaves an address without secrets as it is', () => {
    expect(redactUrl('http://127.0.0.1:8080/dir/a.tar.gz')).toBe('http://127.0.0.1:8080/dir/a.tar.gz');
  });

  it('cuts text that is not a URL at its first ?', () => {
    expect(redactUrl('http://[bad/a.zip?token=secret')).toBe('http://[bad/a.zip?…');
  });
});

describe('urlWithoutQuery', () => {
  it('keeps scheme, host and path only', () => {
    expect(urlWithoutQuery('https://me:pw@cdn.example/a.zip?X-Amz-Signature=1#x')).toBe('https://cdn.example/a.zip');
  });
});

describe('isHttpUrl', () => {
  it('tells addresses from paths', () => {
    expect([isHttpUrl('https://a/b.zip'), isHttpUrl('HTTP://a/b.zip'), isHttpUrl('http.zip'), isHttpUrl('/tmp/https://x')]).toEqual([true, true, false, false]);
  });
});
