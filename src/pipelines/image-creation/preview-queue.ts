/**
 * One task's live previews, kept off the denoise loop: the step pays for the latents → RGB map
 * only (the latents buffer is reused by the next step, the RGB copy is small); the PNG encode
 * (sharp, libuv's threads) and the file write overlap the next steps. At most one preview is in
 * flight, so a slow disk never piles work up: one offered meanwhile waits, and a newer one replaces
 * it (the client sees the latest). One at a time also means no torn file. A failed preview never
 * fails the task.
 */
import { encodePreview, latentsToRgb, writePreviewFile, type LatentRgbMap } from './preview.js';

export class PreviewQueue {
  private running: Promise<void> | null = null;
  private waiting: { rgb: Uint8Array; step: number } | null = null;

  constructor(
    private readonly resultsDir: string,
    private readonly ticketId: string,
    private readonly size: { lw: number; lh: number },
    private readonly map: LatentRgbMap,
    private readonly written: (file: string, step: number) => void,
  ) {}

  /** Takes one image's latents f32 [4, lh, lw] (read now, not kept) as the preview of `step`. */
  offer(latents: Float32Array, step: number): void {
    const rgb = latentsToRgb(latents, this.size.lw, this.size.lh, this.map);
    if (this.running) this.waiting = { rgb, step };
    else this.start(rgb, step);
  }

  private start(rgb: Uint8Array, step: number): void {
    this.running = encodePreview(rgb, this.size.lw, this.size.lh)
      .then((png) => writePreviewFile(this.resultsDir, this.ticketId, png))
      .then((file) => this.written(file, step))
      .catch(() => undefined)
      .then(() => {
        this.running = null;
        const next = this.waiting;
        this.waiting = null;
        if (next) this.start(next.rgb, next.step);
      });
  }

  /** Resolves once no preview is being written or waiting (the worker removes the file after the task). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }
}
