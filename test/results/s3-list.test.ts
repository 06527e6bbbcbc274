/** Reading ListObjectsV2 answers: objects with size and time, entities decoded, the next page's token. */
import { describe, expect, it } from 'vitest';
import { parseListPage } from '../../src/results/s3-list.js';

const page = (contents: string, tail: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>r/</Prefix>${contents}${tail}</ListBucketResult>`;

describe('ListObjectsV2 answers', () => {
  it('reads each object and the continuation token of a truncated page', () => {
    const xml = page(
      '<Contents><Key>r/a.png</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>123</Size><StorageClass>STANDARD</StorageClass></Contents>' +
      '<Contents><Key>r/b&amp;c.mp4</Key><LastModified>2026-01-02T03:04:06Z</LastModified><Size>0</Size></Contents>',
      '<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>tok/+=&amp;1</NextContinuationToken>',
    );
    expect(parseListPage(xml)).toEqual({
      objects: [
        { key: 'r/a.png', bytes: 123, modifiedMs: Date.parse('2026-01-02T03:04:05.000Z') },
        { key: 'r/b&c.mp4', bytes: 0, modifiedMs: Date.parse('2026-01-02T03:04:06Z') },
      ],
      next: 'tok/+=&1',
    });
  });

  it('ends on a page that is not truncated, and on an empty bucket', () => {
    expect(parseListPage(page('', '<KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>'))).toEqual({ objects: [], next: null });
  });
});
