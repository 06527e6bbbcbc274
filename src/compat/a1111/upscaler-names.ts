/**
 * A1111's upscaler names ↔ what image_creation's hires fix takes: the latent modes (all run as
 * our bilinear latent upscale) and the (R-)ESRGAN ×4 names, which run on whichever Real-ESRGAN
 * model is installed (x4plus preferred: the same weights as A1111's "R-ESRGAN 4x+"). Installed
 * image_upscale ids are accepted as they are, since /sdapi/v1/upscalers lists them too.
 */

/** A1111's /sdapi/v1/latent-upscale-modes names; "Latent" is bilinear, as ours. */
export const LATENT_MODES: readonly string[] = [
  'Latent', 'Latent (antialiased)', 'Latent (bicubic)', 'Latent (bicubic antialiased)', 'Latent (nearest)', 'Latent (nearest-exact)',
];

/** A1111 pixel-upscaler names → our image_upscale ids, most alike first. */
const ESRGAN: Readonly<Record<string, readonly string[]>> = {
  'R-ESRGAN 4x+': ['realesrgan-x4plus', 'realesrgan-x4fast'],
  'R-ESRGAN 4x+ Anime6B': ['realesrgan-x4plus', 'realesrgan-x4fast'],
  ESRGAN_4x: ['realesrgan-x4plus', 'realesrgan-x4fast'],
  'R-ESRGAN General 4xV3': ['realesrgan-x4fast', 'realesrgan-x4plus'],
};

export type UpscalerChoice =
  | { kind: 'latent'; name: string; exact: boolean }
  | { kind: 'model'; name: string; id: string };

const norm = (s: string) => s.trim().toLowerCase();

/** The hires upscaler for an A1111 name (case-insensitive), or null when it is not one this server runs. */
export function resolveUpscaler(name: string, installed: readonly string[]): UpscalerChoice | null {
  const n = norm(name);
  if (n === 'none' || n === '') return { kind: 'latent', name: 'Latent', exact: true };
  const latent = LATENT_MODES.find((m) => norm(m) === n);
  if (latent) return { kind: 'latent', name: latent, exact: latent === 'Latent' };
  const known = Object.keys(ESRGAN).find((k) => norm(k) === n);
  if (known) {
    const id = ESRGAN[known].find((i) => installed.includes(i));
    return id ? { kind: 'model', name: known, id } : null;
  }
  const id = installed.find((i) => i === n);
  return id ? { kind: 'model', name: id, id } : null;
}

/** Every pixel-upscaler name that resolves with these models installed, with the id it runs on. */
export function pixelUpscalers(installed: readonly string[]): { name: string; id: string }[] {
  const named = Object.keys(ESRGAN).flatMap((name) => {
    const id = ESRGAN[name].find((i) => installed.includes(i));
    return id ? [{ name, id }] : [];
  });
  return [...named, ...installed.map((id) => ({ name: id, id }))];
}

/** What hr_upscaler accepts here, for error messages. */
export function acceptedUpscalers(installed: readonly string[]): string[] {
  return ['None', ...LATENT_MODES, ...pixelUpscalers(installed).map((u) => u.name)];
}
