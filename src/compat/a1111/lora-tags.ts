/**
 * A1111's LoRA prompt tags, `<lora:name>` / `<lora:name:weight>`: taken out of the prompt (A1111
 * does not encode them either) and turned into image_creation's `loras`. The validator then
 * checks each name against the LoRA folder like any other submit. `lyco:` and `hypernet:` tags
 * stay in the text, with a note.
 */

export interface LoraTags {
  prompt: string;
  loras: { name: string; weight: number }[];
  notes: string[];
}

const TAG = /<lora:([^:>]+)(?::([^:>]*))?(?::([^:>]*))?>/gi;

export function takeLoraTags(prompt: string): LoraTags {
  const loras: LoraTags['loras'] = [];
  const notes: string[] = [];
  const stripped = prompt.replace(TAG, (tag: string, name: string, w?: string, unet?: string) => {
    const weight = w === undefined || w.trim() === '' ? 1 : Number(w);
    if (!Number.isFinite(weight)) {
      notes.push(`${tag}: the weight is not a number; the tag was ignored`);
      return '';
    }
    if (unet !== undefined) notes.push(`${tag}: separate text-encoder and UNet weights are not available; ${weight} was used for both`);
    const existing = loras.find((l) => l.name === name.trim());
    if (existing) existing.weight += weight;
    else loras.push({ name: name.trim(), weight });
    return '';
  });
  if (/<(lyco|hypernet):/i.test(stripped)) notes.push('LyCORIS / hypernetwork tags in the prompt are not applied (they stay in the text)');
  return { prompt: loras.length || notes.length ? stripped.replace(/\s{2,}/g, ' ').trim() : prompt, loras, notes };
}
