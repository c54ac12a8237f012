import { describe, expect, it } from 'vitest';
import { batchListUrl, cleanUrl, closeUrlFor, tokenUrl } from '../../src/concur/urls.js';

describe('closeUrlFor', () => {
  const listed = 'https://www.concursolutions.com/api/expense/paymentbatch/v1.1/batch/n$s4MtBKgvoJxAYcbggR7eD2jRU$sxYjePU';

  it('swaps only the version segment and appends /close, keeping ids with $ untouched', () => {
    expect(closeUrlFor(listed, 'v1.2')).toBe('https://www.concursolutions.com/api/expense/paymentbatch/v1.2/batch/n$s4MtBKgvoJxAYcbggR7eD2jRU$sxYjePU/close');
    expect(closeUrlFor(listed, 'v1.1')).toBe(`${listed}/close`);
  });

  it('accepts a Batch-URL already in the documented close form, trailing slash or stray spaces', () => {
    expect(closeUrlFor(' https://h.example/api/expense/paymentbatch/v1.2/batch/a$b/close ', 'v1.1')).toBe('https://h.example/api/expense/paymentbatch/v1.1/batch/a$b/close');
    expect(closeUrlFor('https://h.example/api/expense/paymentbatch/v1.1/batch/a$b/', 'v1.2')).toBe('https://h.example/api/expense/paymentbatch/v1.2/batch/a$b/close');
  });

  it('keeps percent-encoded ids as given (never re-encodes)', () => {
    expect(closeUrlFor('http://h/api/expense/paymentbatch/v1.1/batch/a%24b', 'v1.2')).toBe('http://h/api/expense/paymentbatch/v1.2/batch/a%24b/close');
  });

  it('refuses a URL it would have to rebuild', () => {
    expect(closeUrlFor('https://h.example/api/expense/paymentbatch/batch/abc', 'v1.2')).toBeNull();
    expect(closeUrlFor('https://h.example/api/expense/paymentbatch/v1.1/batch/abc?x=1', 'v1.2')).toBeNull();
    expect(closeUrlFor('not a url', 'v1.2')).toBeNull();
  });
});

describe('cleanUrl', () => {
  it('removes the stray space of the documented File-Url example', () => {
    expect(cleanUrl('http:// www.concursolutions.com/api/expense/paymentbatch/v1.1/batch/n$s4M$sx/file')).toBe(
      'http://www.concursolutions.com/api/expense/paymentbatch/v1.1/batch/n$s4M$sx/file',
    );
  });
  it('rejects non-http schemes', () => {
    expect(cleanUrl('ftp://h/x')).toBeNull();
  });
});

describe('batchListUrl and tokenUrl', () => {
  it('build the documented paths under a base', () => {
    expect(batchListUrl('https://us.api.concursolutions.com/', 'OPEN')).toBe('https://us.api.concursolutions.com/api/expense/paymentbatch/v1.1/batchlist?Status=OPEN');
    expect(batchListUrl('http://h')).toBe('http://h/api/expense/paymentbatch/v1.1/batchlist');
    expect(tokenUrl('https://us.api.concursolutions.com')).toBe('https://us.api.concursolutions.com/oauth2/v0/token');
  });
});
