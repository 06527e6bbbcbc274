/** Idempotency-Key on submit_task: replays return the first ticket, even after a restart; misuse is refused. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, getJson, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let svc: TestService;
const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.close());

async function submitKeyed(base: string, key: string, body: Record<string, unknown>) {
  const res = await fetch(`${base}/submit_task`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: (await res.json()) as Record<string, unknown> };
}

const task = (user = 'idem-user', scale = 2) => ({ task_type: 'image_upscale', task_params: { image_url: image, scale_factor: scale }, user_id: user });

describe('Idempotency-Key', () => {
  it('the same key and body return the same ticket; only one task is created', async () => {
    const before = ((await getJson(`${svc.url}/ready`)).body.tasks as Record<string, number>);
    const total = (t: Record<string, number>) => Object.values(t).reduce((a, b) => a + b, 0);
    const first = await submitKeyed(svc.url, 'order-42', task());
    expect(first.status).toBe(202);
    expect(first.replayed).toBeNull();
    // Concurrent repeats and a repeat with the fields in another order.
    const repeats = await Promise.all([
      submitKeyed(svc.url, 'order-42', task()),
      submitKeyed(svc.url, 'order-42', task()),
      submitKeyed(svc.url, 'order-42', { user_id: 'idem-user', task_params: { scale_factor: 2, image_url: image }, task_type: 'image_upscale' }),
    ]);
    for (const r of repeats) {
      expect(r.status).toBe(202);
      expect(r.replayed).toBe('true');
      expect(r.body).toEqual(first.body);
    }
    await waitFor(svc.url, first.body.ticket_id as string);
    const after = ((await getJson(`${svc.url}/ready`)).body.tasks as Record<string, number>);
    expect(total(after) - total(before)).toBe(1);
    // After completion the key still answers with the original ticket.
    const late = await submitKeyed(svc.url, 'order-42', task());
    expect(late.body.ticket_id).toBe(first.body.ticket_id);
  });

  it('keys are per user; a different body with a used key is 409; a malformed key is 400', async () => {
    const a = await submitKeyed(svc.url, 'shared-key', task('user-a'));
    const b = await submitKeyed(svc.url, 'shared-key', task('user-b'));
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.ticket_id).not.toBe(a.body.ticket_id);
    const changed = await submitKeyed(svc.url, 'shared-key', task('user-a', 3));
    expect(changed.status).toBe(409);
    expect(changed.body.error).toBe('idempotency_key_reused');
    const bad = await submitKeyed(svc.url, 'x'.repeat(300), task());
    expect(bad.status).toBe(400);
    await waitFor(svc.url, a.body.ticket_id as string);
    await waitFor(svc.url, b.body.ticket_id as string);
  });

  it('survives a restart (kept in SQLite)', async () => {
    const first = await submitKeyed(svc.url, 'durable-key', task());
    await waitFor(svc.url, first.body.ticket_id as string);
    const dir = svc.dataDir;
    await svc.close();
    svc = await startTestService({ BACKSERV_DATA_DIR: dir });
    const again = await submitKeyed(svc.url, 'durable-key', task());
    expect(again.status).toBe(202);
    expect(again.replayed).toBe('true');
    expect(again.body.ticket_id).toBe(first.body.ticket_id);
  });
});
