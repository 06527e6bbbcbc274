/** The layer table of src/ (the README's layout section shows the same order). */

/** Bottom first. Units on one line are peers: they may import each other, but not in a cycle. */
export const LAYERS: readonly (readonly string[])[] = [
  ['tasks'],
  ['config', 'infra'],
  ['store', 'results', 'runtime', 'native', 'imaging', 'video', 'models'],
  ['pipelines'],
  ['workers'],
  ['queue'],
  ['webhooks', 'metrics', 'retention'],
  // web: the playground's browser modules (served as files); they import only each other.
  ['api', 'compat', 'web'],
  ['scale-out'],
  ['cli', 'service.ts', 'main.ts'],
];
