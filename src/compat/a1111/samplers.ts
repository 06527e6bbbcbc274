/**
 * A1111 sampler and scheduler names ↔ the `scheduler` values of image_creation. A1111 ≥ 1.9
 * splits "DPM++ 2M Karras" into sampler "DPM++ 2M" + scheduler "Karras" (and "Automatic" picks
 * Karras for it); older clients send the joined name. What cannot be honoured falls back to
 * the model's default, and the caller is told so in `info`.
 */

type Ours = 'euler' | 'euler_a' | 'ddim' | 'lcm' | 'dpmpp_2m_karras';

interface SamplerDef {
  name: string;
  aliases: string[];
  ours: Ours;
  /** The only A1111 schedule type our implementation follows (null: the model's own spacing). */
  schedule: 'karras' | null;
}

export const SAMPLERS: readonly SamplerDef[] = [
  { name: 'Euler a', aliases: ['k_euler_a', 'k_euler_ancestral', 'euler_a'], ours: 'euler_a', schedule: null },
  { name: 'Euler', aliases: ['k_euler', 'euler'], ours: 'euler', schedule: null },
  { name: 'DPM++ 2M', aliases: ['k_dpmpp_2m'], ours: 'dpmpp_2m_karras', schedule: 'karras' },
  { name: 'DPM++ 2M Karras', aliases: ['k_dpmpp_2m_ka', 'dpmpp_2m_karras'], ours: 'dpmpp_2m_karras', schedule: 'karras' },
  { name: 'DDIM', aliases: ['ddim'], ours: 'ddim', schedule: null },
  { name: 'LCM', aliases: ['k_lcm', 'lcm'], ours: 'lcm', schedule: null },
];

/** GET /sdapi/v1/schedulers: "Automatic" (each sampler's own) and "Karras" (DPM++ 2M's). */
export const SCHEDULES = [
  { name: 'automatic', label: 'Automatic', aliases: null, default_rho: -1, need_inner_model: false },
  { name: 'karras', label: 'Karras', aliases: null, default_rho: 7, need_inner_model: false },
] as const;

/** Our scheduler name → the A1111 sampler name reported in info. */
export const A1111_NAME: Readonly<Record<string, string>> = {
  euler: 'Euler', euler_a: 'Euler a', ddim: 'DDIM', lcm: 'LCM', dpmpp_2m_karras: 'DPM++ 2M Karras',
};

export interface SamplerChoice {
  /** Our scheduler, or undefined for the model's default. */
  scheduler: Ours | undefined;
  notes: string[];
}

const norm = (s: string) => s.trim().toLowerCase();

export function chooseSampler(sampler: string | null | undefined, schedule: string | null | undefined): SamplerChoice {
  const notes: string[] = [];
  if (!sampler) {
    if (schedule && !['automatic', ''].includes(norm(schedule))) notes.push(`scheduler "${schedule}" needs a sampler_name; the model's default sampler was used`);
    return { scheduler: undefined, notes };
  }
  const def = SAMPLERS.find((s) => norm(s.name) === norm(sampler) || s.aliases.some((a) => norm(a) === norm(sampler)));
  if (!def) {
    notes.push(`sampler "${sampler}" is not available here (${SAMPLERS.map((s) => s.name).join(', ')}); the model's default sampler was used`);
    return { scheduler: undefined, notes };
  }
  const wanted = schedule ? norm(schedule) : 'automatic';
  if (wanted !== 'automatic' && wanted !== (def.schedule ?? 'automatic')) {
    notes.push(`scheduler "${schedule}" is not available with ${def.name}; its ${def.schedule ? 'Karras' : 'default'} schedule was used`);
  }
  return { scheduler: def.ours, notes };
}
