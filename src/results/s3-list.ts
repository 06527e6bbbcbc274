/**
 * Reading an S3 ListObjectsV2 answer (XML) without an XML library: the answer's shape is fixed
 * (AWS, MinIO, Ceph, R2 and s3rver all send the same elements), and only a few fields matter.
 */

export interface ListedObject {
  key: string;
  bytes: number;
  modifiedMs: number;
}

export interface ListPage {
  objects: ListedObject[];
  /** Where the next page starts; null on the last page. */
  next: string | null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e];
  });
}

function field(xml: string, tag: string): string | null {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? decode(m[1]) : null;
}

export function parseListPage(xml: string): ListPage {
  const objects: ListedObject[] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = field(m[1], 'Key');
    const bytes = Number(field(m[1], 'Size'));
    const modifiedMs = Date.parse(field(m[1], 'LastModified') ?? '');
    if (key !== null && Number.isFinite(bytes) && Number.isFinite(modifiedMs)) objects.push({ key, bytes, modifiedMs });
  }
  const truncated = field(xml, 'IsTruncated') === 'true';
  return { objects, next: truncated ? field(xml, 'NextContinuationToken') : null };
}
