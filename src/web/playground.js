// Back.Serv playground: plain browser JavaScript (ES modules, no build step, nothing from outside
// this server). It reads GET /ready (what can run, which models are installed) and
// /openapi.json (every task type's task_params schema, the one the API validates with), builds a
// form per task type from those schemas, submits through the public API, follows
// /events/:ticket_id, and keeps this browser's recent tasks in localStorage.
import { buildTaskForm } from './schema-form.js';
import { fillSelect, initialType, readTaskTypes, renderStates } from './task-types.js';
import { followEvents } from './task-events.js';
import { compareView } from './compare.js';
import { forgetTask, isFinal, recentTasks, rememberTask, renderRecent, updateTask } from './recent.js';

const $ = (id) => document.getElementById(id);
/** The input a result is compared with, per task type that changes a picture. */
const BEFORE_PARAM = { image_upscale: 'image_url', face_swap: 'target_image', background_removal: 'image_url' };
const TYPE_KEY = 'backserv.task_type';

const forms = new Map(); // task type → { fieldset, read }
let types = []; // from /ready
/** ticket → the picture it changes (data: URI or URL), for the before/after view; this page's life only, for data: URIs. */
const befores = new Map();
let watching = null; // AbortController of the stream being followed

function headers(json) {
  const h = {};
  const key = $('api-key').value.trim();
  if (key) h.Authorization = `Bearer ${key}`;
  if (json) h['Content-Type'] = 'application/json';
  return h;
}

/** Resolves a local "#/components/schemas/X" reference of the OpenAPI document. */
function deref(doc, node) {
  if (!node || typeof node.$ref !== 'string') return node;
  return node.$ref.replace(/^#\//, '').split('/').reduce((o, k) => (o ? o[k] : undefined), doc);
}

/** task type → its task_params schema, through SubmitRequest's discriminator (no naming assumed). */
function paramSchemas(doc) {
  const mapping = deref(doc, doc.components.schemas.SubmitRequest).discriminator.mapping;
  const out = {};
  for (const [type, ref] of Object.entries(mapping)) {
    const variant = deref(doc, { $ref: ref });
    out[type] = deref(doc, variant.properties.task_params);
  }
  return out;
}

function currentType() {
  return $('task-type').value;
}

function showTaskType() {
  const type = currentType();
  for (const [t, f] of forms) {
    f.fieldset.hidden = t !== type;
    f.fieldset.disabled = t !== type; // fields of hidden forms are neither validated nor sent
  }
  const state = types.find((t) => t.type === type);
  const notice = $('type-state');
  notice.replaceChildren();
  if (state && !state.runnable) {
    const code = document.createElement('code');
    code.textContent = state.install || 'not available in this build';
    notice.append(`This server cannot run ${type} yet. Install its model with: `, code);
  }
  $('submit').disabled = !state || !state.runnable;
  if (state && state.runnable) localStorage.setItem(TYPE_KEY, type);
}

function setStatus(text) {
  $('status').textContent = text;
}

function setProgress(percent) {
  const p = $('progress');
  const v = Math.max(0, Math.min(100, Math.round(percent)));
  p.setAttribute('value', String(v));
  p.textContent = `${v} %`;
}

const drawRecent = () => renderRecent($('recent'), (id) => watch(id));

function showResult(view) {
  const box = $('result');
  box.replaceChildren();
  if (view.status !== 'Completed' || !view.result_info) return;
  const type = (view.result && view.result.content_type) || '';
  const what = `${view.task_type} task ${view.ticket_id}`;
  const before = befores.get(view.ticket_id) || recentTasks().find((e) => e.ticket_id === view.ticket_id)?.before;
  let media;
  if (type.startsWith('video/')) {
    media = document.createElement('video');
    media.controls = true;
    media.src = view.result_info;
  } else if (before && BEFORE_PARAM[view.task_type]) {
    media = compareView(before, view.result_info, what);
  } else {
    media = document.createElement('img');
    media.className = 'result';
    media.alt = `Result of ${what}`;
    media.src = view.result_info;
  }
  // A batch (image_creation batch_size): the further images after the first.
  const more = ((view.result && view.result.images) || []).slice(1).map((img) => {
    const el = document.createElement('img');
    el.className = 'result';
    el.alt = `Image with seed ${img.seed} of task ${view.ticket_id}`;
    el.src = img.url;
    return el;
  });
  const link = document.createElement('a');
  link.href = view.result_info;
  link.download = view.result_info.split('/').pop();
  link.textContent = `Download (${type || 'file'})`;
  const p = document.createElement('p');
  p.append(link);
  box.append(media, ...more, p);
}

/** image_creation's live preview: replaces the picture in the result box while the task runs. */
function showPreview(data) {
  const box = $('result');
  let img = box.querySelector('img.preview');
  if (!img) {
    box.replaceChildren();
    img = document.createElement('img');
    img.className = 'preview';
    box.append(img);
  }
  img.alt = `Live preview at step ${data.step}`;
  img.src = data.url;
}

function onStatus(view) {
  if (updateTask(view)) drawRecent();
  $('cancel').hidden = isFinal(view.status);
  if (view.status === 'Queueing') {
    setStatus(`Queueing: ${view.queue_position ?? '?'} task(s) ahead.`);
    setProgress(0);
  } else if (view.status === 'In Progress') {
    setStatus('In progress…');
    if (view.progress) setProgress(view.progress.percent);
  } else if (view.status === 'Completed') {
    setStatus('Completed.');
    setProgress(100);
  } else {
    setStatus(`${view.status}${view.error_info ? `: ${view.error_info}` : '.'}`);
  }
  showResult(view);
}

function handleEvent(event, data) {
  if (event === 'status') onStatus(data);
  else if (event === 'queue') setStatus(`Queueing: ${data.queue_position} task(s) ahead.`);
  else if (event === 'preview') showPreview(data);
  else if (event === 'progress') {
    setProgress(data.percent);
    setStatus(`In progress: step ${data.step} of ${data.total} (${data.percent} %).`);
  }
}

async function watch(ticketId) {
  if (watching) watching.abort();
  const ac = new AbortController();
  watching = ac;
  $('result').replaceChildren();
  $('error').textContent = '';
  $('cancel').dataset.ticket = ticketId;
  await followEvents(ticketId, {
    headers: () => headers(false),
    signal: ac.signal,
    onEvent: handleEvent,
    onRefused: (message) => { $('error').textContent = message; },
  });
}

async function submit(ev) {
  ev.preventDefault();
  const button = $('submit');
  $('error').textContent = '';
  if (!$('task-form').reportValidity()) return;
  button.disabled = true;
  // The previous task's state goes at once: reading files below takes a moment.
  if (watching) watching.abort();
  $('result').replaceChildren();
  $('cancel').hidden = true;
  setStatus('Submitting…');
  setProgress(0);
  try {
    localStorage.setItem('backserv.user', $('user-id').value.trim());
    if ($('api-key').value.trim()) localStorage.setItem('backserv.key', $('api-key').value.trim());
    const task_type = currentType();
    const task_params = await forms.get(task_type).read();
    const body = { task_type, task_params, user_id: $('user-id').value.trim() };
    const res = await fetch('/submit_task', { method: 'POST', headers: headers(true), body: JSON.stringify(body) });
    const answer = await res.json().catch(() => ({}));
    if (res.status !== 202) {
      $('error').textContent = `${answer.error || 'error'}: ${answer.message || `HTTP ${res.status}`}`;
      setStatus('Not submitted.');
      return;
    }
    const before = task_params[BEFORE_PARAM[task_type]];
    if (typeof before === 'string') befores.set(answer.ticket_id, before);
    // URLs are short enough to keep with the entry; data: URIs stay in this page only.
    const keep = typeof before === 'string' && /^https?:/i.test(before) ? { before } : {};
    rememberTask({ ticket_id: answer.ticket_id, task_type, status: answer.status, at: Date.now(), ...keep });
    drawRecent();
    $('live-title').focus();
    void watch(answer.ticket_id);
  } catch (err) {
    $('error').textContent = err.message;
  } finally {
    showTaskType(); // re-enables the button for a runnable type
  }
}

async function cancel() {
  const id = $('cancel').dataset.ticket;
  if (!id) return;
  const res = await fetch(`/cancel_task/${encodeURIComponent(id)}`, { method: 'POST', headers: headers(false) });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    $('error').textContent = body.message || `Cancel failed (HTTP ${res.status}).`;
  }
}

/** Tasks that were not final when this browser last looked: their state now (and thumbnails). */
async function refreshRecent() {
  for (const e of recentTasks().filter((x) => !isFinal(x.status))) {
    const res = await fetch(`/query_task/${encodeURIComponent(e.ticket_id)}`, { headers: headers(false) }).catch(() => null);
    if (res && res.status === 404) forgetTask(e.ticket_id); // the server no longer knows it
    else if (res && res.ok) updateTask(await res.json());
  }
  drawRecent();
}

async function start() {
  $('user-id').value = localStorage.getItem('backserv.user') || $('user-id').value;
  $('api-key').value = localStorage.getItem('backserv.key') || '';
  drawRecent();
  const [readyRes, docRes] = await Promise.all([fetch('/ready'), fetch('/openapi.json')]);
  // 503 still carries the body: what is installed is worth showing when the store is down.
  const ready = await readyRes.json();
  const schemas = paramSchemas(await docRes.json());
  types = readTaskTypes(ready).filter((t) => schemas[t.type]);
  renderStates($('task-states'), types);
  fillSelect($('task-type'), types);
  const holder = $('params');
  for (const t of types) {
    const form = buildTaskForm(t.type, schemas[t.type], { models: t.installed });
    forms.set(t.type, form);
    holder.append(form.fieldset);
  }
  $('task-type').value = initialType(types, localStorage.getItem(TYPE_KEY));
  $('task-type').addEventListener('change', showTaskType);
  $('task-form').addEventListener('submit', submit);
  $('cancel').addEventListener('click', cancel);
  showTaskType();
  document.body.dataset.ready = 'true'; // tests (and people) can tell the form is built
  void refreshRecent();
}

start().catch((err) => {
  $('error').textContent = `The playground could not load what this server offers: ${err.message}`;
});
