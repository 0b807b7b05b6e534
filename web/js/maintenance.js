// maintenance.js — /admin/maintenance: one card per entry of ACTIONS (actions.js), each with the seed's texts, its
// endpoint, a button, a confirmation dialog stating the consequence, and a toast with the answer's fields. Job
// cards follow their run to the end and update the toast with its status and meta.

import { endpointExists } from './api.js';
import { ACTIONS, GROUPS } from './actions.js';
import { paragraphs, runAction } from './action_run.js';
import { boot, pageHead } from './shell.js';
import { h, rich, setChildren } from './ui.js';

function card(a, run) {
  const button = h('button', {
    type: 'button', id: `btn-${a.id}`, class: ['button', a.danger ? 'button-danger-outline' : 'button-primary'],
    text: `${a.button}…`, onclick: () => run(a),
  });
  return h('article', { class: 'card action-card', id: a.id, dataset: { action: a.id }, attrs: { 'aria-labelledby': `${a.id}-title` } },
    h('header', { class: 'card-head' },
      h('h3', { id: `${a.id}-title`, text: a.title }),
      a.jobkey ? h('code', { class: 'tag', text: a.jobkey }) : null),
    h('div', { class: 'card-body' },
      paragraphs(a.what),
      a.useWhen ? [h('p', { class: 'use-when' }, h('strong', { text: 'Use it when:' })),
        h('ul', {}, a.useWhen.map((t) => h('li', {}, rich(t))))] : null,
      paragraphs(a.notes, 'note')),
    h('footer', { class: 'card-foot' },
      h('p', { class: 'endpoint' },
        h('span', { class: 'visually-hidden', text: 'Endpoint: ' }),
        h('span', { class: 'method', text: a.method }), ' ', h('code', { text: a.path }),
        h('span', { class: 'returns' }, ' → ', h('code', { text: a.returns }))),
      button));
}

async function render(main, { signal }) {
  const sections = GROUPS.map((g) => {
    const grid = h('div', { class: 'card-grid', attrs: { 'aria-busy': 'true' } });
    return { g, grid, el: h('section', { class: 'section', attrs: { 'aria-labelledby': `group-${g.id}` } },
      h('div', { class: 'section-head' }, h('h2', { id: `group-${g.id}`, text: g.title }), h('p', { class: 'muted' }, rich(g.lead))),
      grid) };
  });
  setChildren(main,
    pageHead('Maintenance', [
      'Cross-provider operational actions that don’t fit on a per-source or per-provider surface. Each entry is a card with its own confirmation. ',
      'Every action on this page requires the admin bearer token. Most are rare; reach for them when a config change or schema migration has left the persisted catalog out of sync with what the provider currently publishes.',
    ]),
    sections.map((s) => s.el));
  let exists;
  try {
    exists = await Promise.all(ACTIONS.map((a) => endpointExists(a.method, a.path)));
  } catch (e) {
    if (e.status !== 401 && e.status !== 403) main.append(h('p', { class: 'form-error', attrs: { role: 'alert' }, text: `Could not load the route list: ${e.message}` }));
    return;
  }
  const run = (a) => runAction(a, signal);
  for (const s of sections) {
    const cards = ACTIONS.filter((a, i) => a.group === s.g.id && exists[i]).map((a) => card(a, run));
    setChildren(s.grid, cards.length ? cards : h('p', { class: 'muted empty', text: 'None of these actions is served by this build yet.' }));
    s.grid.removeAttribute('aria-busy');
  }
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

boot({ page: 'maintenance', render });
