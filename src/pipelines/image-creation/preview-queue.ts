/**
 * One task's live previews: the step pays for the latents → RGB map and a stored PNG (tens of
 * µs, preview.ts; the latents buffer is reused by the next step, so they are read now); the file
 * write overlaps the next steps. At most one write is in flight, so a slow disk never piles work
 * up: a preview offered meanwhile waits, and a newer one replaces it (the client sees the latest).
 * One at a time also means no torn file. A failed preview never fails the task.
 */
import { previewPng, writePreviewFile, type LatentRgbMap } from './preview.js';

export class PreviewQueue {
  private running: Promise<void> | null = null;
  private waiting: { png: Uint8Array; step: number } | null = null;

  constructor(
    private readonly resultsDir: string,
    private readonly ticketId: string,
    private readonly size: { lw: number; lh: number },
    private readonly map: LatentRgbMap,
    private readonly written: (file: string, step: number) => void,
  ) {}

  /** Takes one image's latents f32 [4, lh, lw] (read now, not kept) as the preview of `step`. */
  offer(latents: Float32Array, step: number): void {
    const png = previewPng(latents, this.size.lw, this.size.lh, this.map);
    if (this.running) this.waiting = { png, step };
    else this.start(png, step);
  }

  private start(png: Uint8Array, step: number): void {
    this.running = writePreviewFile(this.resultsDir, this.ticketId, png)
      .then((file) => this.written(file, step))
      .catch(() => undefined)
      .then(() => {
        this.running = null;
        const next = this.waiting;
        this.waiting = null;
        if (next) this.start(next.png, next.step);
      });
  }

  /** Resolves once no preview is being written or waiting (the worker removes the file after the task). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }
}
