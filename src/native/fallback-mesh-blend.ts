/**
 * The mesh engine's blend, TypeScript (native/src/mesh_blend.rs is the same arithmetic): each
 * pixel of the patch at (x0, y0) that the warp covered and the mask reaches becomes
 * mask·rgb + (1 − mask)·frame, rounded half up (JavaScript's Math.round) and clamped to u8.
 * Alpha, if any, is left as it was; pixels with mask 0 are never written.
 */
export function blendPatch(frame: Uint8Array, width: number, _height: number, channels: number, x0: number, y0: number,
  outW: number, outH: number, rgb: Float32Array, mask: Float32Array, covered: Uint8Array): void {
  for (let y = 0; y < outH; y++) {
    let o = ((y0 + y) * width + x0) * channels;
    for (let x = 0; x < outW; x++, o += channels) {
      const i = y * outW + x;
      const a = mask[i];
      if (a <= 0 || covered[i] === 0) continue;
      const p = 3 * i, b = 1 - a;
      for (let c = 0; c < 3; c++) {
        const v = a * rgb[p + c] + b * frame[o + c];
        frame[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }
}
