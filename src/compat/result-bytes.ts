/**
 * The bytes of a finished result, for answers that carry images inline (A1111 `images`,
 * OpenAI `b64_json`): read from the results folder, or fetched from object storage through the
 * store's presigned URL (the bucket the operator configured, not a client-supplied address).
 */
import { readFile } from 'node:fs/promises';
import type { ResultStore } from '../results/result-store.js';
import type { TaskRecord } from '../tasks/types.js';

export async function resultBytes(results: ResultStore, rec: TaskRecord): Promise<Buffer> {
  const file = rec.result?.file;
  const where = file ? results.locate(file) : null;
  if (!where) throw new Error(`task ${rec.ticket_id} has no result file`);
  if (where.kind === 'file') return readFile(where.path);
  const res = await fetch(where.url);
  if (!res.ok) throw new Error(`result storage answered ${res.status} for ${rec.ticket_id}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * A running task's live preview (written next to the results while it runs; never uploaded to
 * object storage), or null when there is none yet or it is gone (the task just finished).
 */
export async function previewBytes(results: ResultStore, name: string): Promise<Buffer | null> {
  const where = results.locate(name);
  if (where?.kind !== 'file') return null;
  return readFile(where.path).catch(() => null);
}

/** The public URL of a result, as query_task reports it. */
export function resultUrl(baseUrl: string, rec: TaskRecord): string {
  return `${baseUrl}/results/${encodeURIComponent(rec.result?.file ?? '')}`;
}
