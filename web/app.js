// The hax monitor: a live cluster map, the translation log with filters and
// pause, record rates, and the HA links. Plain DOM, no build step. Data:
// the websocket feed (/debug/feed), GET /v1/cluster/status, GET /api/v1/links.
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
};
const stateSpan = (state) => el('span', { class: `state s-${state}`, 'data-state': state }, (state || '?').replace(/^M0_NC_/, '').toLowerCase());

const MAX_LOG = 500;
let paused = false;
const pending = [];
const rateWindow = [];

/** Current HA state per fid, kept from cluster status and feed notes. */
const states = new Map();

function setState(fid, state, highlight) {
  states.set(fid, state);
  for (const node of document.querySelectorAll(`[data-fid="${CSS.escape(fid)}"] > .state`)) {
    node.replaceWith(stateSpan(state));
  }
  if (highlight) for (const node of document.querySelectorAll(`[data-fid="${CSS.escape(fid)}"]`)) {
    node.classList.add('changed');
    setTimeout(() => node.classList.remove('changed'), 1500);
  }
}

function obj(kind, fid, state, extra) {
  return el('span', { class: `obj ${kind}`, 'data-fid': fid, title: fid }, el('span', {}, extra ?? kind), el('span', { class: 'fid' }, fid), stateSpan(state));
}

async function loadCluster() {
  try {
    const res = await fetch('/v1/cluster/status');
    if (!res.ok) throw new Error(`${res.status}`);
    const status = await res.json();
    const rc = status.rc === undefined ? '' : ` · RC ${status.rc.node ?? 'none (an election is under way)'}`;
    $('#node').textContent = `node ${status.node}${rc}`;
    const root = el('div');
    for (const n of status.nodes) {
      const node = el('div', { class: 'node', 'data-node': n.name }, el('div', { class: 'title' }, obj('node', n.fid ?? n.name, n.state ?? 'M0_NC_UNKNOWN', `node ${n.name}`)));
      for (const p of n.processes) {
        const children = el('div', { class: 'children' });
        for (const s of p.services) children.append(obj('service', s.fid, s.state, s.type));
        for (const d of p.drives ?? []) children.append(obj('drive', d.fid, d.state, 'drive'));
        node.append(el('div', { class: 'proc' }, obj('process', p.fid, p.state, `${p.kind} ${p.endpoint}`), children));
      }
      root.append(node);
    }
    for (const p of root.querySelectorAll('[data-fid]')) { const s = p.querySelector('.state'); states.set(p.dataset.fid, s.dataset.state); }
    $('#cluster').replaceChildren(root);
    document.body.dataset.cluster = 'loaded';
  } catch (e) {
    $('#cluster').replaceChildren(el('p', { class: 'muted' }, `cluster status unavailable (${e.message})`));
  }
}

async function loadLinks() {
  try {
    const links = await (await fetch('/api/v1/links')).json();
    $('#links tbody').replaceChildren(...links.map((l) => el('tr', { 'data-link': String(l.linkId) },
      el('td', {}, String(l.linkId)), el('td', { class: 'fid' }, l.processFid), el('td', {}, l.remote),
      el('td', {}, String(l.sent ?? '')), el('td', {}, String(l.delivered ?? '')), el('td', {}, String(l.pending ?? '')),
      el('td', {}, String(l.heldNotes ?? '')), el('td', {}, l.lastDeliveryMs == null ? '' : `${l.lastDeliveryMs} ms`))));
  } catch { /* hax restarting: keep the last table */ }
}

function describe(r) {
  const li = el('li', { 'data-kind': r.kind, 'data-seq': String(r.seq) },
    el('span', { class: 'muted' }, r.time.slice(11, 23) + ' '), el('span', { class: 'dir' }, r.direction + ' '), el('span', { class: 'kind' }, r.kind + ' '));
  if (r.process) li.append(el('span', { class: 'fid' }, r.process + ' '));
  const others = (r.subjects ?? []).filter((f) => f !== r.process);   // the core's subject fids besides the process
  if (others.length) li.append(el('span', { class: 'fid' }, others.join(' ') + ' '));
  if (r.summary) li.append(r.summary + ' ');
  if (r.notes?.length) li.append(r.notes.map((n) => `${n.fid}→${n.state.replace(/^M0_NC_/, '')}`).join(', ') + ' ');
  if (r.delivery) li.append(`${r.delivery.outcome}${r.delivery.latencyMs != null ? ` in ${r.delivery.latencyMs} ms` : ''} `);
  if (r.reason) li.append(el('span', { class: 'reason', title: r.reason.text }, r.reason.code + ' '));
  if (r.error) li.append(el('span', { class: 'err' }, `${r.error.code}: ${r.error.message}`));
  return li;
}

function show(r) {
  const log = $('#log');
  log.prepend(describe(r));
  while (log.children.length > MAX_LOG) log.lastChild.remove();
}

function onRecord(r) {
  rateWindow.push([Date.now(), r.kind]);
  for (const n of r.notes ?? []) setState(n.fid, n.state, true);
  if (paused) { pending.push(r); return; }
  show(r);
}

function connect() {
  const params = new URLSearchParams();
  const fid = $('#filter-fid').value.trim(), kind = $('#filter-kind').value.trim();
  if (fid) params.set('fid', fid);
  if (kind) params.set('kind', kind);
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/debug/feed?${params}`);
  ws.onopen = () => { document.body.dataset.feed = 'open'; $('#feed-state').textContent = 'live'; };
  ws.onclose = () => { document.body.dataset.feed = 'closed'; $('#feed-state').textContent = 'disconnected, retrying…'; setTimeout(connect, 1000); };
  ws.onmessage = (m) => {
    const r = JSON.parse(m.data);
    if (r.type === 'hello') return;
    if (r.type === 'lost') { $('#lost').textContent = `${r.count} record(s) lost from #${r.since} (this page was too slow)`; return; }
    onRecord(r);
  };
  return ws;
}

let socket = connect();
for (const input of ['#filter-fid', '#filter-kind']) {
  $(input).addEventListener('change', () => { socket.onclose = null; socket.close(); $('#log').replaceChildren(); socket = connect(); });
}
$('#pause').addEventListener('click', () => {
  paused = !paused;
  $('#pause').textContent = paused ? `resume` : 'pause';
  if (!paused) { for (const r of pending.splice(0)) show(r); }
});

setInterval(() => {
  const now = Date.now();
  while (rateWindow.length && rateWindow[0][0] < now - 10_000) rateWindow.shift();
  const byKind = {};
  for (const [, k] of rateWindow) byKind[k] = (byKind[k] ?? 0) + 1;
  $('#rates').textContent = Object.entries(byKind).map(([k, n]) => `${k} ${(n / 10).toFixed(1)}/s`).join(' · ');
}, 1000);

loadCluster();
loadLinks();
setInterval(loadCluster, 10_000);
setInterval(loadLinks, 2_000);
