/**
 * The last lines ffmpeg wrote to stderr, bounded in lines and bytes: enough to say why it
 * failed, never a growing buffer over a long encode.
 */
export class StderrTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(
    private readonly maxLines = 12,
    private readonly maxLineChars = 400,
  ) {}

  push(chunk: Buffer | string): void {
    // ffmpeg ends progress lines with \r; treat it as a line break too.
    const parts = (this.partial + chunk.toString()).split(/\r?\n|\r/);
    this.partial = (parts.pop() ?? '').slice(-this.maxLineChars);
    for (const line of parts) this.add(line);
  }

  /** The kept lines, oldest first, including an unterminated last line. */
  text(): string {
    const all = this.partial.trim() ? [...this.lines, this.partial.trim()] : this.lines;
    return all.slice(-this.maxLines).join('\n');
  }

  private add(line: string): void {
    const t = line.trim();
    if (!t) return;
    this.lines.push(t.length > this.maxLineChars ? `${t.slice(0, this.maxLineChars)}…` : t);
    if (this.lines.length > this.maxLines) this.lines.shift();
  }
}
