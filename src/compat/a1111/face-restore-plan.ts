/**
 * A1111's face restorers in `extra-single-image` (`gfpgan_visibility`, `codeformer_visibility`,
 * `codeformer_weight`) → image_upscale's `face_enhance`, when that enhancer is installed here.
 * A1111 runs both restorers in turn when both are asked for; one pass is made here (the more
 * visible one), and every adjustment is said in the notes.
 */
const RESTORERS = [
  { field: 'gfpgan_visibility', model: 'gfpgan-1.4' },
  { field: 'codeformer_visibility', model: 'codeformer' },
] as const;

const unit = (v: number) => Math.min(1, Math.max(0, v));

/** The face_enhance value for the request, or undefined; `enhancers`: the enhancer ids installed. */
export function planFaceRestore(body: Record<string, unknown>, enhancers: readonly string[], notes: string[]): Record<string, unknown> | undefined {
  const asked = RESTORERS.filter((r) => typeof body[r.field] === 'number' && (body[r.field] as number) > 0);
  for (const r of asked) if (!enhancers.includes(r.model)) notes.push(`${r.field}: the face restorer ${r.model} is not installed here`);
  const usable = asked.filter((r) => enhancers.includes(r.model)).sort((a, b) => (body[b.field] as number) - (body[a.field] as number));
  if (usable.length === 0) return undefined;
  const [pick, ...rest] = usable;
  for (const r of rest) notes.push(`${r.field} was not applied: one face restorer runs per image here (${pick.field} did)`);
  const blend = unit(body[pick.field] as number);
  if (pick.model !== 'codeformer') return { model: pick.model, blend };
  const w = typeof body.codeformer_weight === 'number' ? unit(body.codeformer_weight) : 0.5;
  return { model: pick.model, blend, fidelity: w };
}
