/** The stored inputs of an expired task are found wherever its params reference them, and deleted. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputIdsIn, storedInputsCleanup } from '../../src/retention/input-cleanup.js';
import { inputRef } from '../../src/store/inputs/input-store.js';
import { LocalInputStore } from '../../src/store/inputs/local-input-store.js';
import type { TaskRecord } from '../../src/tasks/types.js';

async function* bytes(s: string) {
  yield Buffer.from(s);
}

describe('stored inputs of an expired task', () => {
  it('finds references at any depth and ignores everything else', () => {
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    const params = {
      source_image: inputRef(a), nested: { list: [1, inputRef(b), 'backserv-input:not-an-id'] },
      target_image: 'https://example.com/x.png', other: inputRef(a),
    };
    expect([...inputIdsIn(params)].sort()).toEqual([a, b]);
    expect(inputIdsIn({ image_url: 'data:image/png;base64,AAAA' }).size).toBe(0);
  });

  it('deletes each referenced input from a real input store, and a second run is harmless', async () => {
    const store = new LocalInputStore(mkdtempSync(join(tmpdir(), 'backserv-inputs-')));
    const kept = await store.put(bytes('another task'));
    const ids = [await store.put(bytes('data:image/png;base64,AAAA')), await store.put(bytes('data:image/png;base64,BBBB'))];
    const rec = { ticket_id: 't', params: { source_image: inputRef(ids[0]), target_image: inputRef(ids[1]) } } as unknown as TaskRecord;
    const cleanup = storedInputsCleanup(store);
    const task = { ticket_id: 't', status: 'Completed' as const, completed_at: 'T', result_file: null, record: async () => rec };
    await cleanup(task);
    for (const id of ids) expect(existsSync(join(store.dir, id))).toBe(false);
    expect(existsSync(join(store.dir, kept))).toBe(true);
    await cleanup(task);
    await cleanup({ ...task, record: async () => null }); // record already gone: nothing to do
  });
});
