// Back.Serv playground: plain browser JavaScript, no build step. Submits through the public API,
// follows /events/:ticket_id (read with fetch so the API key can travel in a header), and keeps
// the user's recent tickets in localStorage.
'use strict';

const $ = (id) => document.getElementById(id);
const FINAL = new Set(['Completed', 'Failed', 'Cancelled']);
const RECENT_KEY = 'backserv.recent';
const NUMBER_FIELDS = new Set(['width', 'height', 'steps', 'seed', 'scale_factor', 'duration', 'fps', 'mask_threshold', 'feather', 'batch_size', 'preview_every', 'strength']);
let watching = null; // AbortController of the stream being followed

function headers(json) {
  const h = {};
  const key = $('api-key').value.trim();
  if (key) h.Authorization = `Bearer ${key}`;
  if (json) h['Content-Type'] = 'application/json';
  return h;
}

function activeFieldset() {
  return document.querySelector(`fieldset[data-task="${$('task-type').value}"]`);
}

function showTaskType() {
  for (const fs of document.querySelectorAll('fieldset[data-task]')) {
    const on = fs.dataset.task === $('task-type').value;
    fs.hidden = !on;
    fs.disabled = !on; // fields of hidden forms are neither validated nor sent
  }
}

function readAsDataUri(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error(`could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

async function collectParams() {
  const params = {};
  const fs = activeFieldset();
  for (const el of fs.querySelectorAll('input, textarea, select')) {
    if (el.type === 'file') {
      if (el.files.length > 0 && !params[el.dataset.for]) params[el.dataset.for] = await readAsDataUri(el.files[0]);
      continue;
    }
    const value = el.value.trim();
    if (value === '') continue;
    if (params[el.name]) continue; // a file already filled it
    params[el.name] = NUMBER_FIELDS.has(el.name) ? Number(value) : value;
  }
  return params;
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

function recent() {
  try {
    return JSON.parse(localStorage.getItem(RECENT_KEY) || '[]');
  } catch {
    return [];
  }
}

function remember(entry) {
  const list = [entry, ...recent().filter((e) => e.ticket_id !== entry.ticket_id)].slice(0, 20);
  localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  renderRecent();
}

function updateRecent(ticketId, status) {
  const list = recent();
  const e = list.find((x) => x.ticket_id === ticketId);
  if (e && e.status !== status) {
    e.status = status;
    localStorage.setItem(RECENT_KEY, JSON.stringify(list));
    renderRecent();
  }
}

function renderRecent() {
  const ol = $('recent');
  ol.replaceChildren();
  for (const e of recent()) {
    const li = document.createElement('li');
    li.textContent = `${e.task_type} · ${e.status} · ${new Date(e.at).toLocaleString()} `;
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Show';
    b.setAttribute('aria-label', `Show task ${e.ticket_id}`);
    b.addEventListener('click', () => watch(e.ticket_id));
    li.append(b);
    ol.append(li);
  }
  if (!ol.children.length) {
    const li = document.createElement('li');
    li.textContent = 'None yet.';
    ol.append(li);
  }
}

function showResult(view) {
  const box = $('result');
  box.replaceChildren();
  if (view.status !== 'Completed' || !view.result_info) return;
  const type = (view.result && view.result.content_type) || '';
  let media;
  if (type.startsWith('video/')) {
    media = document.createElement('video');
    media.controls = true;
  } else {
    media = document.createElement('img');
    media.alt = `Result of ${view.task_type} task ${view.ticket_id}`;
  }
  media.src = view.result_info;
  // A batch (image_creation batch_size): the further images after the first.
  const more = ((view.result && view.result.images) || []).slice(1).map((img) => {
    const el = document.createElement('img');
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
    img.style.imageRendering = 'pixelated';
    img.style.width = '256px';
    box.append(img);
  }
  img.alt = `Live preview at step ${data.step}`;
  img.src = data.url;
}

function onStatus(view) {
  updateRecent(view.ticket_id, view.status);
  $('cancel').hidden = FINAL.has(view.status);
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

/** Follows /events/:ticket_id, reconnecting with Last-Event-ID until the final state arrives. */
async function watch(ticketId) {
  if (watching) watching.abort();
  const ac = new AbortController();
  watching = ac;
  $('result').replaceChildren();
  $('error').textContent = '';
  $('cancel').dataset.ticket = ticketId;
  let lastId = '';
  for (let attempt = 0; attempt < 6 && !ac.signal.aborted; attempt++) {
    try {
      const h = headers(false);
      if (lastId) h['Last-Event-ID'] = lastId;
      const res = await fetch(`/events/${encodeURIComponent(ticketId)}`, { headers: h, signal: ac.signal });
      if (res.status === 204) return;
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        $('error').textContent = body.message || `Could not follow the task (HTTP ${res.status}).`;
        return;
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let cut;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) lastId = line.slice(3).trim();
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (data) handleEvent(event, JSON.parse(data));
        }
      }
      if (lastId === 'done') return;
    } catch (err) {
      if (ac.signal.aborted) return;
    }
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
}

async function submit(ev) {
  ev.preventDefault();
  const button = $('submit');
  $('error').textContent = '';
  const form = $('task-form');
  if (!form.reportValidity()) return;
  button.disabled = true;
  try {
    localStorage.setItem('backserv.user', $('user-id').value.trim());
    if ($('api-key').value.trim()) localStorage.setItem('backserv.key', $('api-key').value.trim());
    const task_type = $('task-type').value;
    const body = { task_type, task_params: await collectParams(), user_id: $('user-id').value.trim() };
    setStatus('Submitting…');
    setProgress(0);
    const res = await fetch('/submit_task', { method: 'POST', headers: headers(true), body: JSON.stringify(body) });
    const answer = await res.json().catch(() => ({}));
    if (res.status !== 202) {
      $('error').textContent = `${answer.error || 'error'}: ${answer.message || `HTTP ${res.status}`}`;
      setStatus('Not submitted.');
      return;
    }
    remember({ ticket_id: answer.ticket_id, task_type, status: answer.status, at: Date.now() });
    $('live-title').focus();
    void watch(answer.ticket_id);
  } catch (err) {
    $('error').textContent = err.message;
  } finally {
    button.disabled = false;
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

document.addEventListener('DOMContentLoaded', () => {
  $('user-id').value = localStorage.getItem('backserv.user') || $('user-id').value;
  $('api-key').value = localStorage.getItem('backserv.key') || '';
  $('task-type').addEventListener('change', showTaskType);
  $('task-form').addEventListener('submit', submit);
  $('cancel').addEventListener('click', cancel);
  showTaskType();
  renderRecent();
});
