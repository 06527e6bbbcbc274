/**
 * The input store, folder and S3 (against a real local S3 server, s3rver): put/open/read/delete
 * round-trip the bytes, nothing is visible before commit, an aborted upload leaves nothing, ids
 * are random and anything that is not one (paths, traversal) is refused before touching storage.
 */
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputMissingError, inputRef, parseInputRef, type InputStore } from '../../src/store/inputs/input-store.js';
import { LocalInputStore, sweepStaleInputs } from '../../src/store/inputs/local-input-store.js';
import { S3InputStore } from '../../src/store/inputs/s3-input-store.js';
import { WRITE_BATCH } from '../../src/store/inputs/spool-file.js';

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (opts: Record<string, unknown>) => S3rverServer;

let s3: S3rverServer;
let s3Store: S3InputStore;
let s3Dir: string;

beforeAll(async () => {
  s3Dir = mkdtempSync(join(tmpdir(), 'backserv-s3-inputs-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: 'backserv' }] });
  const { port } = await s3.run();
  s3Store = new S3InputStore({
    endpoint: `http://127.0.0.1:${port}`, bucket: 'backserv', prefix: 'results/', inputsPrefix: 'in/', urlTtlS: 60,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' },
  }, mkdtempSync(join(tmpdir(), 'backserv-spool-')));
});
afterAll(async () => s3?.close());

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

async function* pieces(b: Buffer, size: number) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return Buffer.concat(out);
}

const stores: [string, () => InputStore][] = [
  ['folder', () => new LocalInputStore(mkdtempSync(join(tmpdir(), 'backserv-inputs-')))],
  ['S3', () => s3Store],
];

describe.each(stores)('input store (%s)', (_name, make) => {
  it('round-trips a streamed put through open, read and delete', async () => {
    const store = make();
    const data = bytes(300_000, 1);
    const id = await store.put(pieces(data, 7_000));
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect((await store.read(id)).equals(data)).toBe(true);
    expect((await collect(store.open(id))).equals(data)).toBe(true);
    await store.delete(id);
    await expect(store.read(id)).rejects.toBeInstanceOf(InputMissingError);
    await store.delete(id); // deleting again is fine
  });

  it('an aborted upload leaves nothing; a finished writer takes no more bytes', async () => {
    const store = make();
    const local = (store as { dir?: string }).dir ?? (store as unknown as { spoolDir: string }).spoolDir;
    const before = readdirSync(local);
    const w = store.begin();
    await w.write(bytes(1000, 2));
    expect(w.bytes).toBe(1000);
    await w.abort();
    expect(readdirSync(local)).toEqual(before);
    const w2 = store.begin();
    await w2.write(bytes(10, 3));
    const id = await w2.commit();
    expect((await store.read(id)).equals(bytes(10, 3))).toBe(true);
    await expect(w2.write(bytes(1, 1))).rejects.toThrow();
  });

  it('refuses ids that are not its own, before touching storage', async () => {
    const store = make();
    for (const id of ['../../etc/passwd', '/etc/passwd', 'a'.repeat(32) + '/x', 'A'.repeat(32), '', '.'.repeat(32)]) {
      await expect(store.read(id)).rejects.toBeInstanceOf(InputMissingError);
      await expect(collect(store.open(id))).rejects.toBeInstanceOf(InputMissingError);
      await store.delete(id);
    }
  });
});

describe('input references', () => {
  it('are made only from well-formed ids and parse back', () => {
    const id = 'ab'.repeat(16);
    expect(parseInputRef(inputRef(id))).toBe(id);
    expect(parseInputRef('backserv-input:../x')).toBeNull();
    expect(parseInputRef('data:image/png;base64,AAAA')).toBeNull();
    expect(() => inputRef('../x')).toThrow();
  });
});

describe('folder store files', () => {
  it('writes a temp file and renames it on commit; a sweep removes only old temp files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-inputs-'));
    const store = new LocalInputStore(dir);
    const w = store.begin();
    await w.write(bytes(100, 4));
    expect(w.buffered).toBe(100); // gathered for one batched write
    await w.write(bytes(WRITE_BATCH, 5));
    expect(w.buffered).toBe(0);
    const [temp] = readdirSync(dir);
    expect(temp).toMatch(/^\.[0-9a-f]{32}\.tmp$/);
    const id = await w.commit();
    expect(readdirSync(dir)).toEqual([id]);
    expect((await store.read(id)).equals(Buffer.concat([bytes(100, 4), bytes(WRITE_BATCH, 5)]))).toBe(true);
    writeFileSync(join(dir, '.old.tmp'), 'x');
    utimesSync(join(dir, '.old.tmp'), new Date(0), new Date(0));
    writeFileSync(join(dir, '.young.tmp'), 'x');
    expect(sweepStaleInputs(dir, 60_000)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['.young.tmp', id].sort());
  });
});
