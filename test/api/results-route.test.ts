/** GET /results/:name serves regular files of the results folder only, with Range. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
let results: string;

beforeAll(async () => {
  svc = await startTestService();
  results = join(svc.dataDir, 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(svc.dataDir, 'secret.png'), 'not for clients');
  writeFileSync(join(results, 'real.png'), '0123456789');
  symlinkSync(join(svc.dataDir, 'secret.png'), join(results, 'link.png'));
  mkdirSync(join(results, 'folder.png'));
});
afterAll(async () => svc?.close());

describe('/results', () => {
  it('serves a regular file, whole and by range', async () => {
    const whole = await fetch(`${svc.url}/results/real.png`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('image/png');
    expect(await whole.text()).toBe('0123456789');
    const part = await fetch(`${svc.url}/results/real.png`, { headers: { range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(await part.text()).toBe('234');
  });

  it('refuses a symlink planted in the folder, and a folder', async () => {
    for (const name of ['link.png', 'folder.png']) {
      const res = await fetch(`${svc.url}/results/${name}`);
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: string };
      expect(body.error).toBe('not_found');
    }
  });

  it('answers 416 for a range past the end', async () => {
    const res = await fetch(`${svc.url}/results/real.png`, { headers: { range: 'bytes=20-30' } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */10');
  });
});
