// What this server can run, from GET /ready: each task type with its state (runnable, with its
// installed models, or the command that installs what it lacks), the task-type selector built
// from that, and the installed models a `model` selector may offer.
import { humanize } from './schema-form.js';

/** /ready's task_types as a list: { type, runnable, installed: [model ids], install }. */
export function readTaskTypes(ready) {
  return Object.entries(ready.task_types || {}).map(([type, t]) => ({
    type,
    runnable: t.available === true,
    installed: (t.models || []).filter((m) => m.installed).map((m) => m.id),
    install: t.install || null,
  }));
}

/** The state list: one item per task type, the install command in <code> for those that cannot run. */
export function renderStates(list, types) {
  list.replaceChildren();
  for (const t of types) {
    const li = document.createElement('li');
    li.dataset.taskType = t.type;
    li.dataset.state = t.runnable ? 'runnable' : 'not-installed';
    const name = document.createElement('strong');
    name.textContent = humanize(t.type);
    li.append(name);
    if (t.runnable) {
      li.append(` — runnable${t.installed.length ? ` (${t.installed.join(', ')})` : ''}`);
    } else {
      const code = document.createElement('code');
      code.textContent = t.install || 'not available in this build';
      li.append(' — not installed; install with ', code);
    }
    list.append(li);
  }
}

/** Fills the task-type <select>; the state is in each option's text too, for screen readers. */
export function fillSelect(select, types) {
  select.replaceChildren();
  for (const t of types) {
    const o = document.createElement('option');
    o.value = t.type;
    o.textContent = `${humanize(t.type)}${t.runnable ? '' : ' (not installed)'}`;
    select.append(o);
  }
}

/** The type to open on: the last one used if it can run, else the first that can, else the first. */
export function initialType(types, remembered) {
  const runnable = types.filter((t) => t.runnable);
  if (runnable.some((t) => t.type === remembered)) return remembered;
  return (runnable[0] || types[0] || { type: '' }).type;
}
