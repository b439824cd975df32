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
