// lienthong console: a few lines of progressive enhancement. Every page works without them.
'use strict';

// Parts of a page that follow the server by themselves (e.g. the recipients of an outgoing
// document): <div data-poll="/url" data-every="3000">…</div> is replaced by the fragment at /url.
function poll(el) {
  const every = Number(el.dataset.every || 3000);
  const tick = async () => {
    if (document.visibilityState === 'visible') {
      try {
        const res = await fetch(el.dataset.poll, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
        if (res.ok) {
          const html = await res.text();
          if (html !== el.innerHTML) el.innerHTML = html;
        }
      } catch {
        // offline for a moment: the next tick tries again
      }
    }
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
}

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('[data-poll]').forEach(poll);
  // A form whose button asks first (data-confirm="…").
  document.querySelectorAll('form[data-confirm]').forEach((form) => {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // No double submission: a sent form's buttons wait for the answer.
  document.querySelectorAll('form[method="post"]').forEach((form) => {
    form.addEventListener('submit', (event) => {
      if (event.defaultPrevented) return;
      setTimeout(() => form.querySelectorAll('button[type="submit"]').forEach((b) => (b.disabled = true)), 0);
    });
  });
});

// Soạn văn bản — the Nơi nhận box suggests agencies and groups by name as the clerk types (the box
// owns a listbox: ↓/↑ move, Enter or a click adds the code, Esc closes), and files come by the
// picker or by drag and drop, several at a time, each removable before sending.
const RECIPIENT_SEPARATOR = /[,;\n]/;

/** The item the caret is in: from the separator before it to the one after it. */
function recipientToken(box) {
  const value = box.value;
  const caret = box.selectionStart ?? value.length;
  let start = caret;
  while (start > 0 && !RECIPIENT_SEPARATOR.test(value[start - 1])) start--;
  let end = caret;
  while (end < value.length && !RECIPIENT_SEPARATOR.test(value[end])) end++;
  return { start, end, text: value.slice(start, end).trim() };
}

/** Puts `code` in place of the item being typed (or after the last one), then a separator for the next. */
function addRecipient(box, code, token) {
  const value = box.value;
  let next;
  let caret;
  if (token) {
    const before = value.slice(0, token.start);
    const after = value.slice(token.end);
    const inserted = (before && !/\s$/.test(before) ? ' ' : '') + code;
    next = before + inserted + (after ? after : ', ');
    caret = before.length + inserted.length + (after ? 0 : 2);
  } else {
    const kept = value.replace(/[\s,;]+$/, '');
    next = (kept ? `${kept}, ` : '') + code + ', ';
    caret = next.length;
  }
  box.value = next;
  box.focus();
  box.setSelectionRange(caret, caret);
  box.dispatchEvent(new window.Event('change', { bubbles: true }));
}

function recipientSuggestions(box) {
  const list = document.getElementById(box.getAttribute('aria-controls'));
  const status = document.getElementById(`${box.id}-status`);
  if (!list) return;
  let items = [];
  let active = -1;
  let timer;
  let asked = 0;
  let token;
  const say = (text) => {
    if (status) status.textContent = text;
  };
  const close = () => {
    list.hidden = true;
    list.replaceChildren();
    items = [];
    active = -1;
    box.removeAttribute('aria-activedescendant');
  };
  const mark = (index) => {
    active = index;
    Array.from(list.children).forEach((li, i) => li.setAttribute('aria-selected', String(i === index)));
    const li = list.children[index];
    if (li) {
      box.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    } else box.removeAttribute('aria-activedescendant');
  };
  const choose = (index) => {
    const item = items[index];
    if (!item) return;
    addRecipient(box, item.value, token);
    close();
    say(`Đã thêm ${item.label} (${item.value}).`);
  };
  const show = (found) => {
    items = found;
    list.replaceChildren();
    found.forEach((item, i) => {
      const li = document.createElement('li');
      li.id = `${list.id}-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = item.label;
      const code = document.createElement('span');
      code.className = 'muted code';
      code.textContent = ` ${item.detail}`;
      // The option's name is the agency's name alone; its code is said as its description.
      code.id = `${li.id}-code`;
      code.setAttribute('aria-hidden', 'true');
      li.setAttribute('aria-label', item.label);
      li.setAttribute('aria-describedby', code.id);
      li.append(name, code);
      // The box keeps the focus (and the caret) while the mouse chooses.
      li.addEventListener('mousedown', (event) => event.preventDefault());
      li.addEventListener('click', () => choose(i));
      list.append(li);
    });
    list.hidden = found.length === 0;
    active = -1;
    say(found.length ? `${found.length} gợi ý. Dùng phím mũi tên lên, xuống để chọn, Enter để thêm.` : '');
  };
  const ask = async () => {
    token = recipientToken(box);
    const text = token.text;
    if (text.length < 2) return close();
    const mine = ++asked;
    try {
      const res = await fetch(`${box.dataset.suggest}?q=${encodeURIComponent(text)}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (mine !== asked || !res.ok) return;
      const body = await res.json();
      show(Array.isArray(body.items) ? body.items : []);
    } catch {
      // no suggestions this time: codes typed by hand still work
    }
  };
  box.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
  box.addEventListener('keydown', (event) => {
    if (list.hidden || items.length === 0) return;
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      mark((active + 1) % items.length);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      mark(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === 'Enter' && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    } else if (event.key === 'Tab') {
      close();
    }
  });
  box.addEventListener('blur', () => setTimeout(close, 150));
}

/** A file input inside a drop zone: dropped and picked files add up; each listed with a button that removes it. */
function dropZone(zone) {
  const input = document.getElementById(zone.dataset.dropzone);
  const list = zone.querySelector('[data-file-list]');
  if (!input || !list || typeof DataTransfer === 'undefined') return;
  let chosen = [];
  const size = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${Math.round(n / 1024)} KB` : `${(n / 1048576).toFixed(1).replace('.', ',')} MB`);
  const keep = (files) => {
    chosen = files;
    const dt = new DataTransfer();
    files.forEach((f) => dt.items.add(f));
    input.files = dt.files;
    list.replaceChildren();
    files.forEach((f, i) => {
      const li = document.createElement('li');
      li.textContent = `${f.name} (${size(f.size)}) `;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'link';
      remove.textContent = 'Bỏ';
      remove.setAttribute('aria-label', `Bỏ tệp ${f.name}`);
      remove.addEventListener('click', () => {
        keep(chosen.filter((_, j) => j !== i));
        input.focus();
      });
      li.append(remove);
      list.append(li);
    });
  };
  input.addEventListener('change', () => keep(chosen.concat(Array.from(input.files))));
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    if (event.dataTransfer && event.dataTransfer.files.length) keep(chosen.concat(Array.from(event.dataTransfer.files)));
  });
}

/** Too many or too large files are said before the upload starts (the server says it too, after). */
function checkFilesBeforeSending(event) {
  const form = event.target;
  if (!form || form.tagName !== 'FORM' || !form.dataset.maxFileBytes) return;
  const input = form.querySelector('input[type=file]');
  if (!input) return;
  const files = Array.from(input.files);
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const maxBytes = Number(form.dataset.maxFileBytes);
  const maxFiles = Number(form.dataset.maxFiles || Infinity);
  let problem = '';
  if (files.length > maxFiles) problem = `Chỉ gửi được tối đa ${maxFiles} tệp; bạn đã chọn ${files.length} tệp.`;
  else if (total > maxBytes) problem = `Các tệp đã chọn quá lớn (${(total / 1048576).toFixed(1).replace('.', ',')} MB); tối đa ${(maxBytes / 1048576).toFixed(1).replace('.', ',')} MB.`;
  let note = form.querySelector('[data-files-problem]');
  if (!problem) {
    if (note) note.remove();
    return;
  }
  event.preventDefault();
  event.stopImmediatePropagation();
  if (!note) {
    note = document.createElement('p');
    note.className = 'field-error';
    note.setAttribute('role', 'alert');
    note.dataset.filesProblem = '';
    note.id = `${input.id}-too-large`;
    input.closest('.field').append(note);
    input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby') || ''} ${note.id}`.trim());
  }
  note.textContent = problem;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

// Before any other submit handler (capture, on the document): a refused form keeps its buttons.
document.addEventListener('submit', checkFilesBeforeSending, true);

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('textarea[data-suggest]').forEach(recipientSuggestions);
  document.querySelectorAll('[data-dropzone]').forEach(dropZone);
  document.querySelectorAll('[data-add-recipient]').forEach((button) => {
    const box = button.closest('.field')?.querySelector('textarea[data-suggest]');
    if (box) button.addEventListener('click', () => addRecipient(box, button.dataset.addRecipient));
  });
  // A refused form's summary takes the focus: read first, each message a link to its field.
  const summary = document.querySelector('[data-autofocus]');
  if (summary) summary.focus();
});
