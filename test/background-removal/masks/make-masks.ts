/**
 * One-time: the hand-made coarse masks of the two fixture portraits, drawn by looking at the
 * photos on a 16×16 grid (one cell = 1/16 of each side): '#' person, '.' background, '?' not
 * sure (hair edges, the shoulders' outline, the astronaut's helmet, which a portrait model may
 * or may not keep). Written as 16×16 greyscale PNGs: 255 person, 0 background, 128 unknown.
 * Run: npx tsx test/background-removal/masks/make-masks.ts
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const MASKS: Record<string, string[]> = {
  // 512×512: flag on the left, shuttle model on the right, helmet lower right.
  'portrait_astronaut.png': [
    '....????????....',
    '....??##??......',
    '....?####?......',
    '....?####?......',
    '...??####?......',
    '...?#####?......',
    '...?#####?......',
    '.???#####??.....',
    '.?########??....',
    '?##########?....',
    '?##########?....',
    '?#######????????',
    '?#######????????',
    '?#######????????',
    '?#######????????',
    '?#######????????',
  ],
  // 115×115: head and shoulders on a plain grey wall.
  'lowres_bryan.png': [
    '................',
    '....???????.....',
    '....??###??.....',
    '....?#####?.....',
    '....?#####?.....',
    '....?#####?.....',
    '....?#####?.....',
    '....?#####?.....',
    '.....?####?.....',
    '.....?####?.....',
    '...???####?.....',
    '..??########??..',
    '??############??',
    '?##############?',
    '?##############?',
    '?##############?',
  ],
};

const here = fileURLToPath(new URL('.', import.meta.url));
for (const [name, rows] of Object.entries(MASKS)) {
  const data = Buffer.from(rows.join('').split('').map((c) => (c === '#' ? 255 : c === '.' ? 0 : 128)));
  if (data.length !== 256) throw new Error(`${name}: not 16×16`);
  await sharp(data, { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(join(here, name));
}
