/**
 * Video containers by their first bytes, for the cheap check at submit: a target_video whose
 * payload is not MP4/MOV, WebM/Matroska or GIF is refused with 400 then, not queued and failed
 * later. Pure (no ffmpeg): the API process runs it.
 */

/** Bytes enough to tell the containers below apart. */
export const VIDEO_SNIFF_BYTES = 12;

export type VideoContainer = 'mp4' | 'mov' | 'webm' | 'gif';

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

/** QuickTime files written without an ftyp box start with one of these atoms. */
const QT_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

export function sniffVideoContainer(b: Uint8Array): VideoContainer | null {
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 8 && ascii(b, 4, 8) === 'ftyp') return b.length >= 12 && ascii(b, 8, 12) === 'qt  ' ? 'mov' : 'mp4';
  if (b.length >= 8 && QT_ATOMS.has(ascii(b, 4, 8))) return 'mov';
  return null;
}
