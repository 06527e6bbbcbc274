// The before/after view for tasks that change a picture (upscale, face swap, background removal):
// the result in the flow at its own size, the input laid over it stretched to the same box and
// clipped at a split a range input moves. Both images keep their natural sizes (the caption says
// them), so an upscale shows its input's pixels enlarged beside the upscaler's.

/** A <figure> comparing `beforeSrc` with `afterSrc`; `what` names the task in the alt texts. */
export function compareView(beforeSrc, afterSrc, what) {
  const figure = document.createElement('figure');
  figure.className = 'compare';
  const frame = document.createElement('div');
  frame.className = 'compare-frame';

  const after = document.createElement('img');
  after.className = 'after result';
  after.alt = `After: result of ${what}`;
  after.src = afterSrc;
  const before = document.createElement('img');
  before.className = 'before';
  before.alt = `Before: the input of ${what}`;
  before.src = beforeSrc;
  const line = document.createElement('div');
  line.className = 'split-line';
  line.setAttribute('aria-hidden', 'true');
  frame.append(after, before, line);

  const id = `split-${Math.random().toString(36).slice(2, 8)}`;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = 'Before / after split (before on the left)';
  const range = document.createElement('input');
  range.type = 'range';
  range.id = id;
  range.className = 'split';
  range.min = '0';
  range.max = '100';
  range.value = '50';
  const place = () => {
    // inset(top right bottom left): the before image shows left of the split only.
    before.style.clipPath = `inset(0 ${100 - Number(range.value)}% 0 0)`;
    line.style.left = `${range.value}%`;
    range.setAttribute('aria-valuetext', `${range.value} % before`);
  };
  range.addEventListener('input', place);
  place();

  const caption = document.createElement('figcaption');
  const sizes = () => {
    if (before.naturalWidth && after.naturalWidth) {
      caption.textContent = `Before ${before.naturalWidth}×${before.naturalHeight} · after ${after.naturalWidth}×${after.naturalHeight}`;
    }
  };
  before.addEventListener('load', sizes);
  after.addEventListener('load', sizes);
  figure.append(frame, label, range, caption);
  return figure;
}
