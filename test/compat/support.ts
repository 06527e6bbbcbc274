/** Small helpers shared by the compat suites: JSON calls with headers, PNG sizes, a models folder with a second SD model. */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { inject } from 'vitest';

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON; typed loosely because the shapes under test differ by API. */
  body: any;
}

export async function call(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

export const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

/** Width and height of a PNG given as base64 (or bytes); fails unless it really is a PNG. */
export async function pngSize(image: string | Buffer): Promise<[number, number]> {
  const bytes = typeof image === 'string' ? Buffer.from(image, 'base64') : image;
  const meta = await sharp(bytes).metadata();
  if (meta.format !== 'png') throw new Error(`not a PNG: ${meta.format}`);
  return [meta.width!, meta.height!];
}

/**
 * The generated test models plus a copy of the sd-turbo test model installed as "sd15" (a
 * make-test folder counts as installed by its own file list), so a second checkpoint exists
 * for per-user model choices.
 */
export function modelsWithSecondCheckpoint(): string {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-compat-models-'));
  cpSync(inject('testModelsDir'), dir, { recursive: true });
  cpSync(join(dir, 'sd-turbo'), join(dir, 'sd15'), { recursive: true });
  return dir;
}

/** Polls `probe` until it returns a value (not undefined); fails after `ms`. */
export async function until<T>(probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
