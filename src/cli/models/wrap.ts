/** Word wrapping for the CLI's prose (help paragraphs, list notes): terminals are often 80-100 wide. */

/** Breaks a paragraph into lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width = 92): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}
