/**
 * A cancel storm against a running server: clients submit small upscales and cancel each after a
 * random moment of up to a few run times, so cancels land while a task is queued, between its
 * tiles, while its file is written, and after it finished. Waits (bounded) until every ticket is
 * final and returns the tickets by final status.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { fixtureImage, getJson, postJson, submit, waitFor } from './http.js';

const FINAL = new Set(['Completed', 'Failed', 'Cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StormOutcome {
  /** Tasks run undisturbed first (they set the delays' scale); all Completed. */
  warm: string[];
  byStatus: Record<'Completed' | 'Failed' | 'Cancelled', string[]>;
  /** Cancel answers: 200 (cancelled) or 409 (already final). */
  answers: number[];
  runMs: number;
}

export async function cancelStorm(url: string, tasks: number, clients: number): Promise<StormOutcome> {
  const image = `data:image/png;base64,${readFileSync(fixtureImage('lowres_bryan.png')).toString('base64')}`;
  const params = { image_url: image, scale_factor: 2 };
  // The first run loads the model; the quickest later undisturbed run sets the delays (the least
  // noisy estimate on a shared machine; speed itself is not asserted).
  const warm: string[] = [];
  let runMs = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const { body } = await submit(url, 'image_upscale', params);
    warm.push(body.ticket_id as string);
    expect((await waitFor(url, body.ticket_id as string)).status).toBe('Completed');
    if (i > 0) runMs = Math.min(runMs, Math.max(20, Date.now() - t0));
  }

  const tickets: string[] = [];
  const answers: number[] = [];
  let next = 0;
  const client = async () => {
    while (next < tasks) {
      next++;
      const { status, body } = await submit(url, 'image_upscale', params);
      expect(status).toBe(202);
      const id = body.ticket_id as string;
      tickets.push(id);
      await sleep(Math.random() * runMs * (clients + 0.5));
      answers.push((await postJson(`${url}/cancel_task/${id}`, {})).status);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));

  const byStatus: StormOutcome['byStatus'] = { Completed: [], Failed: [], Cancelled: [] };
  const deadline = Date.now() + 60_000;
  for (const id of tickets) {
    for (;;) {
      const { body } = await getJson(`${url}/query_task/${id}`);
      if (FINAL.has(body.status as string)) {
        byStatus[body.status as keyof StormOutcome['byStatus']].push(id);
        break;
      }
      if (Date.now() > deadline) throw new Error(`ticket ${id} not final: ${JSON.stringify(body.status)}`);
      await sleep(20);
    }
  }
  return { warm, byStatus, answers, runMs };
}

/** GET /results/<id>.png for each id; the ids whose answer was not `want`, with the answer. */
export async function resultAnswersOtherThan(url: string, ids: string[], want: number): Promise<string[]> {
  const odd: string[] = [];
  for (const id of ids) {
    const res = await fetch(`${url}/results/${id}.png`);
    await res.arrayBuffer();
    if (res.status !== want) odd.push(`${id}: ${res.status}`);
  }
  return odd;
}
