// Builds a task type's form from its task_params JSON Schema (as /openapi.json prints it, the same
// object the API validates with), and reads the filled form back into task_params. A parameter a
// pipeline adds to its schema appears here with its bounds and description, with no page change.
// Only what HTML can check exactly goes into attributes (min, max, step, maxlength, required); the
// schema's regex patterns do not (HTML anchors and compiles them differently), the server checks
// those and answers 400 naming the field.

const IMAGE_REF = '[dD][aA][tT][aA]:'; // a string that takes a data: URI takes a file too
const WORDS = { url: 'URL', id: 'ID', fps: 'fps', lora: 'LoRA', loras: 'LoRAs', sdxl: 'SDXL', hires: 'hires' };

/** "scale_factor" → "Scale factor", "image_url" → "Image URL". */
export function humanize(name) {
  const words = name.split('_').map((w) => WORDS[w] || w);
  const first = words[0];
  words[0] = first === first.toLowerCase() ? first[0].toUpperCase() + first.slice(1) : first;
  return words.join(' ');
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children);
  return node;
}

const isImageRef = (s) => s.type === 'string' && typeof s.pattern === 'string' && s.pattern.includes(IMAGE_REF);
const isEnumArray = (s) => s.type === 'array' && s.items && Array.isArray(s.items.enum);
const isObject = (s) => s.type === 'object' && s.properties;
const defaultText = (s) => (s.default !== undefined ? `default: ${JSON.stringify(s.default)}` : 'default');

function readAsDataUri(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error(`could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/** The label, the control(s) and the description, wrapped in one block. */
function block(id, labelText, controls, description) {
  const wrap = el('div', { class: 'field' });
  wrap.append(el('label', { for: id, text: labelText }));
  if (description) {
    const hintId = `${id}-hint`;
    controls[0].setAttribute('aria-describedby', hintId);
    wrap.append(...controls, el('p', { class: 'hint', id: hintId, text: description }));
  } else wrap.append(...controls);
  return wrap;
}

/**
 * One property → { node, read }. `read()` resolves to the value to send, or undefined to leave
 * the property out (the server then applies its default). `ctx.models`: installed model ids for
 * a `model` property.
 */
function field(id, name, schema, required, ctx) {
  const label = humanize(name);
  const description = schema.description || '';

  if (name === 'model' && ctx.models) {
    const select = el('select', { id, name, 'data-param': name });
    select.append(el('option', { value: '', text: ctx.models.length ? `default (${ctx.models[0]})` : 'default' }));
    for (const m of ctx.models) select.append(el('option', { value: m, text: m }));
    return { node: block(id, label, [select], `${description ? description.replace(/\.?$/, '. ') : ''}Lists the models installed on this server.`), read: async () => select.value || undefined };
  }

  if (isImageRef(schema)) {
    // Text for a URL (or whatever else the pattern allows, e.g. a colour), a file input beside it.
    const onlyRef = schema.pattern.startsWith('^(?:[hH]');
    const placeholder = onlyRef || schema.default === undefined ? 'https://… or choose a file below' : `${schema.default}, a URL, or a file below`;
    const text = el('input', { id, name, 'data-param': name, type: onlyRef ? 'url' : 'text', required, placeholder });
    const fileId = `${id}-file`;
    const accept = /video/i.test(name) ? 'video/*' : 'image/*';
    const file = el('input', { id: fileId, type: 'file', accept, 'data-file-for': name });
    // A chosen file satisfies "required" in place of the URL.
    file.addEventListener('change', () => { text.required = required && file.files.length === 0; });
    const node = block(id, label, [text], description);
    node.append(el('label', { for: fileId, text: `…or a file for ${label}` }), file);
    return {
      node,
      read: async () => (file.files.length ? readAsDataUri(file.files[0]) : text.value.trim() || undefined),
    };
  }

  if (schema.type === 'string' && Array.isArray(schema.enum)) {
    const select = el('select', { id, name, 'data-param': name, required });
    if (!required) select.append(el('option', { value: '', text: `(${defaultText(schema)})` }));
    for (const v of schema.enum) select.append(el('option', { value: v, text: v }));
    return { node: block(id, label, [select], description), read: async () => select.value || undefined };
  }

  if (schema.type === 'string') {
    const long = (schema.maxLength ?? 0) > 200; // prompts get a text area
    const input = el(long ? 'textarea' : 'input', {
      id, name, 'data-param': name, required, maxlength: schema.maxLength, minlength: schema.minLength || undefined,
      ...(long ? { rows: 3 } : { type: 'text' }), placeholder: schema.default !== undefined ? String(schema.default) : undefined,
    });
    // Leading/trailing spaces are kept: a prompt is sent as typed; an empty one is left out.
    return { node: block(id, label, [input], description), read: async () => (input.value.trim() === '' ? undefined : input.value) };
  }

  if (schema.type === 'integer' || schema.type === 'number') {
    const step = schema.multipleOf ?? (schema.type === 'integer' ? 1 : 'any');
    const input = el('input', {
      id, name, 'data-param': name, type: 'number', required, min: schema.minimum, max: schema.maximum, step,
      placeholder: schema.default !== undefined ? String(schema.default) : 'default',
    });
    return {
      node: block(id, label, [input], description),
      read: async () => (input.value.trim() === '' ? undefined : Number(input.value)),
    };
  }

  if (schema.type === 'boolean') {
    const select = el('select', { id, name, 'data-param': name });
    select.append(el('option', { value: '', text: `(${defaultText(schema)})` }), el('option', { value: 'true', text: 'yes' }), el('option', { value: 'false', text: 'no' }));
    return { node: block(id, label, [select], description), read: async () => (select.value === '' ? undefined : select.value === 'true') };
  }

  if (isEnumArray(schema)) {
    const select = el('select', { id, name, 'data-param': name, multiple: true, size: Math.min(schema.items.enum.length, 6) });
    for (const v of schema.items.enum) select.append(el('option', { value: v, text: v }));
    const read = async () => {
      const chosen = [...select.selectedOptions].map((o) => o.value);
      return chosen.length ? chosen : undefined;
    };
    return { node: block(id, label, [select], `${description} (Ctrl/⌘-click for several.)`), read };
  }

  if (isObject(schema)) {
    const fs = el('fieldset', { id, 'data-param': name, class: 'nested' }, el('legend', { text: label }));
    if (description) fs.append(el('p', { class: 'hint', text: description }));
    return { node: fs, read: objectFields(fs, id, schema, ctx, required) };
  }

  // `true`, or an object of settings (e.g. face_enhance): a yes/no choice, then the settings.
  const variants = schema.oneOf || schema.anyOf;
  const settings = variants && variants.length === 2 && variants.some((v) => v.type === 'boolean') ? variants.find(isObject) : null;
  if (settings) {
    const fs = el('fieldset', { id, 'data-param': name, class: 'nested' }, el('legend', { text: label }));
    const onId = `${id}-on`;
    const on = el('select', { id: onId });
    on.append(el('option', { value: '', text: `(${defaultText(schema)})` }), el('option', { value: 'true', text: 'yes' }), el('option', { value: 'false', text: 'no' }));
    fs.append(el('label', { for: onId, text: `Use ${label.toLowerCase()}` }), on);
    if (description) fs.append(el('p', { class: 'hint', text: `${description.replace(/\.?$/, '.')} Settings below imply yes.` }));
    const readSettings = objectFields(fs, id, settings, ctx, false);
    const read = async () => {
      if (on.value === 'false') return false;
      return (await readSettings()) ?? (on.value === 'true' ? true : undefined);
    };
    return { node: fs, read };
  }

  // A list of objects (e.g. loras): rows added and removed on demand, each a small form.
  if (schema.type === 'array' && schema.items && isObject(schema.items)) {
    const fs = el('fieldset', { id, 'data-param': name, class: 'nested' }, el('legend', { text: label }));
    if (description) fs.append(el('p', { class: 'hint', text: description }));
    const rows = el('div', { class: 'rows' });
    const add = el('button', { type: 'button', id: `${id}-add`, class: 'small', text: `Add to ${label}` });
    const live = [];
    let n = 0;
    add.addEventListener('click', () => {
      if (schema.maxItems !== undefined && live.length >= schema.maxItems) return;
      n += 1;
      const rowId = `${id}-${n}`;
      const row = el('fieldset', { id: rowId, class: 'nested' }, el('legend', { text: `${label}: ${n}` }));
      const entry = { read: objectFields(row, rowId, schema.items, ctx, true) }; // a row added must be complete
      const remove = el('button', { type: 'button', class: 'small', text: `Remove ${label}: ${n}` });
      remove.addEventListener('click', () => {
        live.splice(live.indexOf(entry), 1);
        row.remove();
      });
      row.append(remove);
      live.push(entry);
      rows.append(row);
    });
    fs.append(rows, add);
    const read = async () => {
      const out = [];
      for (const r of live) {
        const v = await r.read();
        if (v !== undefined) out.push(v);
      }
      return out.length ? out : undefined;
    };
    return { node: fs, read };
  }

  // Other oneOf/anyOf, arrays of numbers, anything else: free text, read as the branch it fits.
  const branches = variants || [schema];
  const words = branches.flatMap((v) => (v.type === 'string' && Array.isArray(v.enum) ? v.enum : []));
  const takesList = branches.some((v) => v.type === 'array');
  // A list of named choices (e.g. keep_target_regions: "eyes, mouth"): the words a list may hold.
  const listWords = branches.flatMap((v) => (v.type === 'array' && v.items && Array.isArray(v.items.enum) ? v.items.enum.filter((w) => typeof w === 'string') : []));
  const hint = [description && description.replace(/\.?$/, '.'), takesList ? 'A list: comma-separated values or JSON.' : ''].filter(Boolean).join(' ');
  const shown = [...words, ...(listWords.length ? [listWords.join(', ')] : [])];
  const input = el('input', { id, name, 'data-param': name, type: 'text', required, placeholder: shown.length ? shown.join(' | ') : 'JSON' });
  const read = async () => {
    const raw = input.value.trim();
    if (raw === '') return undefined;
    if (words.includes(raw)) return raw;
    const parts = raw.split(',').map((x) => x.trim());
    if (listWords.length && parts.every((x) => listWords.includes(x))) return parts;
    if (takesList && /^-?\d+(\.\d+)?(\s*,\s*-?\d+(\.\d+)?)*$/.test(raw)) return raw.split(',').map((x) => Number(x.trim()));
    try {
      return JSON.parse(raw);
    } catch {
      return raw; // the server names the field if it is wrong
    }
  };
  return { node: block(id, label, [input], hint), read };
}

/**
 * Appends a field per property of an object schema to `parent`; returns the reader (undefined when
 * all are empty). `enforce`: the object itself must be sent, so its required properties are required
 * (an optional object's are not: leaving all of it empty is fine).
 */
function objectFields(parent, id, schema, ctx, enforce) {
  const nested = { ...ctx, models: null }; // a nested "model" (e.g. face_enhance's) is not the task's model
  const parts = Object.entries(schema.properties).map(([k, s]) => {
    const f = field(`${id}-${k}`, k, s, enforce && (schema.required || []).includes(k), nested);
    parent.append(f.node);
    return [k, f];
  });
  return async () => {
    const out = {};
    for (const [k, f] of parts) {
      const v = await f.read();
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length ? out : undefined;
  };
}

/**
 * A fieldset for one task type: every property of `schema`, required ones first, ids
 * `${taskType}-${property}` (nested: `${taskType}-${property}-${sub}`; a file input adds `-file`).
 */
export function buildTaskForm(taskType, schema, ctx) {
  const fs = el('fieldset', { 'data-task': taskType }, el('legend', { text: humanize(taskType) }));
  const required = new Set(schema.required || []);
  const names = Object.keys(schema.properties || {}).sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
  const fields = names.map((name) => {
    const f = field(`${taskType}-${name}`, name, schema.properties[name], required.has(name), ctx);
    fs.append(f.node);
    return [name, f];
  });
  const read = async () => {
    const params = {};
    for (const [name, f] of fields) {
      const v = await f.read();
      if (v !== undefined) params[name] = v;
    }
    return params;
  };
  return { fieldset: fs, read };
}
