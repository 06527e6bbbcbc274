/**
 * The tfjs graph models Back.Serv converts at install time, keyed by the manifest's
 * `convertFrom` ("tfjs:<name>"), and where their files are:
 * - facemesh: MediaPipe FaceMesh (Apache-2.0) in the npm dependency @vladmandic/human;
 * - selfie: MediaPipe selfie segmentation (Apache-2.0), a committed copy in
 *   vendor/mediapipe-selfie-segmentation/ (see its README for why it is not a dependency).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tfjsToOnnx, type TfjsConversion, type TfjsConvertOptions } from './convert.js';
import { TfjsConvertError } from './model-json.js';

export const TFJS_PREFIX = 'tfjs:';

interface TfjsSource {
  /** Absolute path of model.json (its shards sit beside it). */
  locate(): string;
  options: TfjsConvertOptions;
}

function packageDir(name: string, why: string): string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    throw new TfjsConvertError(`the npm package ${name} is not installed (run \`npm ci\`); it carries ${why}`);
  }
  // Packages that export only their entry point: walk up to the package folder.
  const marker = `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`;
  const at = entry.lastIndexOf(marker);
  return at >= 0 ? entry.slice(0, at + marker.length - 1) : dirname(entry);
}

/** The project root, from src/models/convert/tfjs/ or dist/models/convert/tfjs/ alike. */
const PROJECT_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export const TFJS_SOURCES: Record<string, TfjsSource> = {
  facemesh: {
    locate: () => join(packageDir('@vladmandic/human', 'the MediaPipe FaceMesh weights'), 'models', 'facemesh.json'),
    options: { graphName: 'facemesh', rename: { input_1: 'image' } },
  },
  selfie: {
    locate: () => join(PROJECT_ROOT, 'vendor', 'mediapipe-selfie-segmentation', 'selfie.json'),
    options: { graphName: 'selfie_segmentation', rename: { 'input_1:0': 'image', 'activation_10:0': 'mask' } },
  },
};

/** Converts model.json + shards from disk. */
export function convertTfjsFile(modelJson: string, options: TfjsConvertOptions = {}): TfjsConversion {
  if (!existsSync(modelJson)) throw new TfjsConvertError(`${modelJson} does not exist`);
  const dir = dirname(modelJson);
  const json: unknown = JSON.parse(readFileSync(modelJson, 'utf8'));
  return tfjsToOnnx(json, (path) => {
    const file = join(dir, path);
    if (!existsSync(file)) throw new TfjsConvertError(`weight shard ${path} is missing beside ${modelJson}`);
    return new Uint8Array(readFileSync(file));
  }, options);
}

/** Converts a known source by its manifest key ("tfjs:facemesh"). */
export function convertTfjsSource(convertFrom: string): TfjsConversion {
  const name = convertFrom.startsWith(TFJS_PREFIX) ? convertFrom.slice(TFJS_PREFIX.length) : convertFrom;
  const source = TFJS_SOURCES[name];
  if (!source) throw new TfjsConvertError(`no tfjs source "${name}" (known: ${Object.keys(TFJS_SOURCES).join(', ')})`);
  return convertTfjsFile(source.locate(), source.options);
}
