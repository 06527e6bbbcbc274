/** One human-readable progress line for a download (a redrawn bar on a terminal, a log line elsewhere). */
import type { DownloadProgress } from './download-file.js';

export function humanBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One progress line: `label  [#####.....]  42%  1.2 GB / 2.9 GB  12.3 MB/s  ETA 2m20s`. */
export function formatProgress(label: string, p: DownloadProgress, width = 24): string {
  const frac = p.total > 0 ? Math.min(1, p.received / p.total) : 0;
  const filled = Math.round(frac * width);
  const bar = p.total > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}%` : '[size unknown]';
  const size = p.total > 0 ? `${humanBytes(p.received)} / ${humanBytes(p.total)}` : humanBytes(p.received);
  return `${label}  ${bar}  ${size}  ${humanBytes(p.bytesPerSecond)}/s  ETA ${duration(p.etaSeconds)}`;
}
