// This browser's recent tasks, kept in localStorage (nothing about them is stored elsewhere): the
// type, the last state seen, when, and the result's URL for a thumbnail once it completed.

const KEY = 'backserv.recent';
const LIMIT = 20;
const FINAL = new Set(['Completed', 'Failed', 'Cancelled']);

export function recentTasks() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function save(list) {
  localStorage.setItem(KEY, JSON.stringify(list.slice(0, LIMIT)));
}

export function rememberTask(entry) {
  save([entry, ...recentTasks().filter((e) => e.ticket_id !== entry.ticket_id)]);
}

/** Records what a status view says; returns whether anything changed. */
export function updateTask(view) {
  const list = recentTasks();
  const e = list.find((x) => x.ticket_id === view.ticket_id);
  if (!e) return false;
  const type = (view.result && view.result.content_type) || '';
  const thumb = view.status === 'Completed' && view.result_info ? { thumb: view.result_info, thumb_type: type } : {};
  if (e.status === view.status && e.thumb === thumb.thumb) return false;
  Object.assign(e, { status: view.status }, thumb);
  save(list);
  return true;
}

export function forgetTask(ticketId) {
  save(recentTasks().filter((e) => e.ticket_id !== ticketId));
}

export const isFinal = (status) => FINAL.has(status);

function thumbnail(e) {
  if (!e.thumb) return null;
  if (e.thumb_type && !e.thumb_type.startsWith('image/')) {
    const span = document.createElement('span');
    span.className = 'thumb thumb-video';
    span.textContent = '▶';
    span.setAttribute('aria-hidden', 'true');
    return span;
  }
  const img = document.createElement('img');
  img.className = 'thumb';
  img.loading = 'lazy';
  img.alt = `Thumbnail of the ${e.task_type} result`;
  img.src = e.thumb;
  img.addEventListener('error', () => img.remove()); // the result expired (retention)
  return img;
}

/** Renders the list into `ol`; `onShow(ticketId)` follows a task again. */
export function renderRecent(ol, onShow) {
  ol.replaceChildren();
  for (const e of recentTasks()) {
    const li = document.createElement('li');
    li.dataset.ticket = e.ticket_id;
    const thumb = thumbnail(e);
    if (thumb) li.append(thumb);
    const text = document.createElement('span');
    text.textContent = `${e.task_type} · ${e.status} · ${new Date(e.at).toLocaleString()} `;
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Show';
    b.setAttribute('aria-label', `Show task ${e.ticket_id}`);
    b.addEventListener('click', () => onShow(e.ticket_id));
    li.append(text, b);
    ol.append(li);
  }
  if (!ol.children.length) {
    const li = document.createElement('li');
    li.textContent = 'None yet.';
    ol.append(li);
  }
}
