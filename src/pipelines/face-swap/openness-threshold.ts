/**
 * keep_target_regions "auto" keeps the target's eyes / mouth when the source's differ in openness
 * (openness.ts) by more than this, in aspect-ratio units. On the fixtures open eyes measure
 * 0.21–0.34 (closed eyes are ~0.05), closed mouths 0.04–0.08, smiles with teeth ~0.2 and a
 * talking mouth 0.3 and up: a blink or an open mouth against a closed one is caught, while two
 * open pairs of eyes of different shapes, or a smile onto a closed mouth, are swapped whole.
 * Light: params.ts quotes it in the schema.
 */
export const OPENNESS_THRESHOLD = Object.freeze({ eyes: 0.15, mouth: 0.2 });
