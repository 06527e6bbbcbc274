/** An image as the pipelines see it: 8-bit interleaved pixels plus what the decoder learnt. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
  hasAlpha: boolean;
}
