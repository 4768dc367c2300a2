// Gatehouse console. Plain DOM: every value goes in through textContent or setAttribute, never as HTML,
// so whatever a recording holds is shown, not run. No inline script or style anywhere (strict CSP).
'use strict';

(function () {
  const API = '/console/api';
  const SVG = 'http://www.w3.org/2000/svg';
  let me = null;
  let timer = null;
  let ticker = null;
  let feed = null;
  // How often the approvals page asks when it has no live feed (refused, cut, or none on this gateway).
  const FALLBACK_POLL_MS = 5000;
  const main = () => document.getElementById('main');

  // ---- helpers ----
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = String(v);
      else if (k.startsWith('on')) node.addEventListener(k.substring(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return node;
  }
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') node.textContent = String(v); else node.setAttribute(k, String(v));
    }
    children.flat().forEach(c => c && node.appendChild(c));
    return node;
  }
  function facts(pairs) {
    const dl = el('dl', { class: 'facts' });
    for (const [k, v] of pairs) {
      if (v === null || v === undefined || v === '') continue;
      dl.appendChild(el('dt', { text: k }));
      dl.appendChild(v instanceof Node ? el('dd', {}, v) : el('dd', { text: v }));
    }
    return dl;
  }
  function badge(text) { return el('span', { class: 'badge ' + String(text).replace(/[^a-z-]/g, ''), text: text }); }
  function ago(iso) {
    if (!iso) return '';
    const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
    return s < 0 ? 'in ' + span(-s) : span(s) + ' ago';
  }
  function span(s) {
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function until(iso) {
    const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
    return s <= 0 ? 'expired' : 'in ' + span(s);
  }
  async function api(path, options) {
    const opts = Object.assign({ credentials: 'same-origin', headers: {} }, options || {});
    if (opts.method && opts.method !== 'GET') {
      opts.headers['X-CSRF-Token'] = me ? me.csrf : '';
      opts.headers['Content-Type'] = 'application/json';
    }
    const r = await fetch(API + path, opts);
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    return { status: r.status, body: body };
  }
  function problemText(r) {
    const b = r.body || {};
    return (b.title ? b.title + ': ' : '') + (b.detail || ('HTTP ' + r.status));
  }
  function show(...nodes) {
    const m = main();
    m.replaceChildren(...nodes.flat());
  }
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    if (ticker) { clearInterval(ticker); ticker = null; }
    if (feed) { feed.close(); feed = null; }
  }

  // ---- sign-in and navigation ----
  async function start() {
    const r = await api('/me');
    if (r.status === 401) {
      const next = location.hash && location.hash.startsWith('#/') ? location.hash : '#/';
      show(el('div', { class: 'signin' },
        el('h1', { text: 'Gatehouse console' }),
        el('p', { class: 'muted', text: 'Approvers decide held requests here; auditors read what was recorded.' }),
        el('p', {}, el('a', { id: 'signin', href: '/console/login?next=' + encodeURIComponent(next) },
          el('button', { class: 'primary', type: 'button', text: 'Sign in' })))));
      return;
    }
    if (r.status !== 200) { show(el('p', { class: 'error', text: problemText(r) })); return; }
    me = r.body;
    document.getElementById('who').textContent = me.username + ' · ' + me.groups.join(', ');
    document.getElementById('nav').hidden = false;
    document.getElementById('nav-approvals').hidden = !me.rights.approvals;
    document.getElementById('nav-sessions').hidden = !me.rights.recordings;
    document.getElementById('nav-audit').hidden = !me.rights.recordings;
    document.getElementById('nav-break-glass').hidden = !me.rights.breakGlass;
    const out = document.getElementById('logout');
    out.hidden = false;
    out.addEventListener('click', logout);
    window.addEventListener('hashchange', route);
    route();
  }
  async function logout() {
    const r = await fetch('/console/logout', { method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': me.csrf } });
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    location.assign(body && body.redirect ? body.redirect : '/console/');
  }
  function route() {
    stop();
    const hash = location.hash || '#/';
    const [path, query] = hash.substring(1).split('?');
    const params = new URLSearchParams(query || '');
    document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('active', hash.startsWith(a.getAttribute('href'))));
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'approvals' && me.rights.approvals) return approvals(parts[1] ? decodeURIComponent(parts[1]) : null);
    if (parts[0] === 'sessions' && me.rights.recordings) return sessions(params);
    if (parts[0] === 'session' && me.rights.recordings && parts[1]) return session(decodeURIComponent(parts[1]));
    if (parts[0] === 'audit' && me.rights.recordings) return audit(params);
    if (parts[0] === 'break-glass' && me.rights.breakGlass) return breakGlass(params);
    if (me.rights.approvals) { location.hash = '#/approvals'; return; }
    if (me.rights.recordings) { location.hash = '#/sessions'; return; }
    if (me.rights.breakGlass) { location.hash = '#/break-glass'; return; }
    show(el('h1', { text: 'Nothing to see here' }),
      el('p', { id: 'no-rights', text: 'You are signed in as ' + me.username + ' (' + (me.groups.join(', ') || 'no group')
        + '). The console is for approvers and auditors; ask your administrator if you should be one.' }));
  }

  // ---- approvals ----
  function approvals(only) {
    const list = el('div', { id: 'approvals' });
    const status = el('p', { class: 'muted', id: 'approvals-status', text: 'Waiting for held requests…' });
    show(el('h1', { text: only ? 'Approval ' + only : 'Held requests' }), status, list);
    const cards = new Map();
    let first = true;
    async function poll() {
      const r = only ? await api('/approvals/' + encodeURIComponent(only)) : await api('/approvals?status=pending');
      if (r.status !== 200) { status.textContent = problemText(r); status.className = 'error'; return; }
      const items = only ? [r.body] : r.body.approvals;
      status.className = 'muted';
      status.textContent = only ? '' : (items.length === 0 ? 'No request is waiting for you. This page updates by itself.'
        : items.length + ' waiting · updates by itself') + (feed && feed.readyState === 1 ? ' (live)' : '');
      const seen = new Set();
      for (const a of items) {
        seen.add(a.id);
        if (!cards.has(a.id)) {
          const card = approvalCard(a, !first);
          cards.set(a.id, card);
          list.prepend(card.node);
        }
        cards.get(a.id).update(a);
      }
      for (const [id, card] of cards) {
        if (!seen.has(id) && !card.decided) { card.node.remove(); cards.delete(id); }
      }
      first = false;
    }
    // One fetch at a time; a change announced meanwhile fetches once more afterwards.
    let busy = false;
    let again = false;
    async function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      try { do { again = false; await poll(); } while (again); } finally { busy = false; }
    }
    function polling(on) {
      if (on && !timer) timer = setInterval(refresh, FALLBACK_POLL_MS);
      if (!on && timer) { clearInterval(timer); timer = null; }
      status.setAttribute('data-feed', on ? 'polling' : 'live');
    }
    // Ages and expiries count on between fetches.
    ticker = setInterval(() => cards.forEach(c => c.tick()), 1000);
    if (me.liveFeed && window.EventSource) {
      // Server-sent events name approvals that changed; the queue itself always comes from the admin API.
      feed = new EventSource(API + '/approvals/events');
      feed.addEventListener('ready', () => { polling(false); refresh(); });
      feed.addEventListener('approval', refresh);
      feed.addEventListener('resync', refresh);
      feed.addEventListener('error', () => polling(true)); // the browser reconnects by itself; poll meanwhile
      refresh();
    } else {
      polling(true);
      refresh();
    }
  }

  function approvalCard(a, isNew) {
    const node = el('div', { class: 'card approval' + (isNew ? ' new' : ''), 'data-id': a.id, id: 'approval-' + a.id });
    const progress = el('progress', { max: a.approvalsNeeded, value: a.approvals });
    const progressText = el('span', { class: 'progress-text' });
    const statusBadge = el('span');
    const age = el('span', { class: 'age' });
    const expiry = el('span', { class: 'expiry' });
    const reason = el('input', { type: 'text', class: 'reason', placeholder: 'Reason (recorded in the audit trail)',
      maxlength: 500 });
    const message = el('div', { class: 'message' });
    const approveBtn = el('button', { class: 'approve', type: 'button', text: 'Approve' });
    const denyBtn = el('button', { class: 'deny', type: 'button', text: 'Deny' });
    const body = el('pre', { class: 'held-body', text: 'loading the recorded request…' });
    const votes = el('ul', { class: 'votes' });
    const card = { node: node, decided: false };
    async function decide(action) {
      approveBtn.disabled = denyBtn.disabled = true;
      const r = await api('/approvals/' + encodeURIComponent(a.id) + '/' + action,
        { method: 'POST', body: JSON.stringify({ reason: reason.value || null }) });
      if (r.status === 200) {
        card.decided = true;
        message.replaceChildren(el('span', { class: 'decided', text: (action === 'approve' ? 'Approved' : 'Denied')
          + ' by you: now ' + r.body.status + ' (' + r.body.approvals + ' of ' + r.body.approvalsNeeded + ')' }));
        card.update(r.body);
      } else if (r.status === 401 && r.body && r.body.title === 'Second factor required') {
        message.replaceChildren(el('div', { class: 'notice' }, el('span', { text: r.body.detail + ' ' }),
          el('a', { href: '/console/login?stepup=1&next=' + encodeURIComponent('#/approvals/' + a.id),
            text: 'Sign in again with a second factor' })));
        approveBtn.disabled = denyBtn.disabled = false;
      } else {
        message.replaceChildren(el('span', { class: 'error', text: problemText(r) }));
        approveBtn.disabled = denyBtn.disabled = false;
      }
    }
    approveBtn.addEventListener('click', () => decide('approve'));
    denyBtn.addEventListener('click', () => decide('deny'));
    const rule = a.rule ? (a.rule.policy + ' / ' + a.rule.rule + (a.rule.reason ? ': ' + a.rule.reason : '')) : '';
    node.append(
      el('div', { class: 'head' }, el('span', { class: 'title', text: a.summary }), statusBadge,
        el('span', { class: 'muted mono', text: a.id })),
      facts([
        ['Requester', a.requester.username + (a.reason ? ' — "' + a.reason + '"' : '')],
        ['Endpoint', a.endpoint], ['Operation', a.operation], ['Model', a.model || '—'],
        ['Batch size', a.batch], ['Request', a.method + ' ' + a.path], ['Held by rule', rule],
        ['Bound digest', el('code', { text: a.requestDigest })],
        ['Approvers', a.approverGroups.join(', ') + (a.requireMfa ? ' (second factor: ' + a.requireMfa + ')' : '')],
        ['Progress', el('span', {}, progress, ' ', progressText)], ['Age', age], ['Expires', expiry]]),
      el('details', {}, el('summary', { text: 'Request body (masked as recorded)' }), body),
      votes,
      el('div', { class: 'decide' }, reason, approveBtn, denyBtn), message);
    node.querySelector('details').addEventListener('toggle', async function once() {
      node.querySelector('details').removeEventListener('toggle', once);
      const r = await api('/approvals/' + encodeURIComponent(a.id) + '/request');
      if (r.status !== 200) { body.textContent = problemText(r); return; }
      const b = r.body.request && r.body.request.body;
      body.textContent = !b ? '(no body recorded)' : b.text !== undefined ? pretty(b.text)
        : b.omitted ? '(' + b.size + ' bytes, not stored: ' + b.omitted + ')' : JSON.stringify(b, null, 2);
    });
    card.tick = function () {
      if (card.last) { age.textContent = ago(card.last.createdAt); expiry.textContent = until(card.last.expiresAt) + ' (' + card.last.expiresAt + ')'; }
    };
    card.update = function (x) {
      card.last = x;
      statusBadge.replaceChildren(badge(x.status));
      progress.value = x.approvals;
      progress.max = x.approvalsNeeded;
      progressText.textContent = x.approvals + ' of ' + x.approvalsNeeded + ' approvals';
      age.textContent = ago(x.createdAt);
      expiry.textContent = until(x.expiresAt) + ' (' + x.expiresAt + ')';
      votes.replaceChildren(...(x.votes || []).map(v => el('li', { text: v.username + ' ' + v.decision
        + (v.reason ? ': "' + v.reason + '"' : '') + ' · ' + ago(v.at) })));
      if (x.status !== 'pending') { approveBtn.disabled = denyBtn.disabled = true; }
    };
    return card;
  }
  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }

  // ---- sessions ----
  const FILTERS = ['user', 'group', 'endpoint', 'model', 'decision', 'status', 'since', 'until'];
  async function sessions(params) {
    const form = el('form', { class: 'filters', id: 'session-filters' });
    for (const f of FILTERS) {
      let input;
      if (f === 'decision') {
        input = el('select', { name: f }, ['', 'allowed', 'denied', 'held', 'responded', 'failed', 'client-gone',
          'incomplete', 'open'].map(d => el('option', { value: d, text: d || 'any' })));
      } else {
        input = el('input', { name: f, type: 'text', placeholder: f === 'since' || f === 'until' ? '1h, 2026-12-01T10:00:00Z' : '' });
      }
      input.value = params.get(f) || '';
      form.appendChild(el('label', {}, f, input));
    }
    form.appendChild(el('button', { class: 'primary', type: 'submit', text: 'Filter' }));
    form.addEventListener('submit', e => {
      e.preventDefault();
      const q = new URLSearchParams();
      for (const f of FILTERS) { const v = form.elements[f].value.trim(); if (v) q.set(f, v); }
      location.hash = '#/sessions' + (q.toString() ? '?' + q : '');
    });
    const table = el('table', { id: 'sessions' });
    const info = el('p', { class: 'muted' });
    const pager = el('div', { class: 'pager' });
    show(el('h1', { text: 'Sessions' }), form, info, table, pager);
    const q = new URLSearchParams();
    for (const f of FILTERS.concat(['before'])) { if (params.get(f)) q.set(f, params.get(f)); }
    q.set('limit', '50');
    const r = await api('/sessions?' + q);
    if (r.status !== 200) { info.textContent = problemText(r); info.className = 'error'; return; }
    table.append(el('tr', {}, ['Time', 'User', 'Endpoint', 'Operation', 'Model', 'Decision', 'Status', 'ms']
      .map(h => el('th', { text: h }))));
    for (const s of r.body.sessions) {
      const row = el('tr', { class: 'row', 'data-id': s.recordId },
        el('td', { class: 'mono', text: s.time }), el('td', { text: s.username || '—' }), el('td', { text: s.endpoint }),
        el('td', { text: (s.operation || '') + ' ' + (s.method || '') + ' ' + (s.path || '') }),
        el('td', { text: s.model || '' }), el('td', {}, badge(s.decision)), el('td', { text: s.status === null ? '' : s.status }),
        el('td', { text: s.durationMs === undefined ? '' : s.durationMs }));
      row.addEventListener('click', () => { location.hash = '#/session/' + encodeURIComponent(s.recordId); });
      table.append(row);
    }
    info.textContent = r.body.count + ' shown' + (r.body.scanned ? ' (' + r.body.scanned + ' records looked at)' : '');
    if (params.get('before')) {
      pager.append(el('button', { type: 'button', text: '⟵ Newest', onclick: () => {
        params.delete('before'); location.hash = '#/sessions?' + params; } }));
    }
    if (r.body.next) {
      pager.append(el('button', { type: 'button', id: 'older', text: 'Older ⟶', onclick: () => {
        params.set('before', r.body.next); location.hash = '#/sessions?' + params; } }));
    }
  }

  async function session(id) {
    show(el('p', { class: 'muted', text: 'Loading ' + id + '…' }));
    const r = await api('/sessions/' + encodeURIComponent(id));
    if (r.status !== 200) { show(el('p', { class: 'error', text: problemText(r) })); return; }
    const s = r.body;
    const req = s.request || {};
    const resp = s.response || null;
    const rule = s.rule ? s.rule.policy + ' / ' + s.rule.rule + (s.rule.reason ? ': ' + s.rule.reason : '') : '—';
    const masking = el('div', {});
    for (const [title, counts] of [['masking step', s.masking], ['stored (recording)', s.storedMasking]]) {
      if (!counts) continue;
      masking.append(el('div', { text: title + ': ' + JSON.stringify(counts) }));
    }
    const replay = el('div', { class: 'replay', id: 'replay-output' });
    const speed = el('select', { id: 'replay-speed' }, [['0.5', '½×'], ['1', '1× (as recorded)'], ['2', '2×'], ['4', '4×'],
      ['0', 'instant']].map(([v, t]) => el('option', { value: v, text: t })));
    speed.value = '1';
    const play = el('button', { type: 'button', class: 'primary', id: 'replay-play', text: 'Replay answer' });
    const raw = el('input', { type: 'checkbox', id: 'replay-raw' });
    const replayInfo = el('span', { class: 'muted', id: 'replay-info' });
    play.addEventListener('click', () => runReplay(id, replay, speed, replayInfo, play, raw));
    show(el('p', {}, el('a', { href: '#/sessions', text: '⟵ Sessions' })),
      el('h1', { text: 'Session ' + s.recordId }),
      facts([['User', s.username || (s.identity && s.identity.username) || '—'],
        ['Groups', s.identity && s.identity.groups ? s.identity.groups.join(', ') : ''],
        ['Endpoint', s.endpoint], ['Operation', s.operation ? s.operation.kind : ''],
        ['Model', s.operation ? s.operation.model : ''], ['Started', s.startTime], ['Ended', s.endTime],
        ['Decision', badge(s.decision || 'open')], ['Status', s.status], ['Duration', s.durationMs === undefined ? '' : s.durationMs + ' ms'],
        ['Session id', s.sessionId], ['Approval', s.approvalId]]),
      el('h2', { text: 'Decision trail' }),
      facts([['Policy / rule', rule], ['Denial', s.denial ? s.denial.title + ': ' + s.denial.detail : ''],
        ['Outcome', s.outcome], ['Error', s.error]]),
      el('h2', { text: 'Masking counts' }), masking.childNodes.length ? masking : el('p', { class: 'muted', text: 'nothing masked' }),
      el('h2', { text: 'Request' }),
      el('div', { class: 'mono', text: (req.method || '') + ' ' + (req.path || '') + (req.query ? '?' + req.query : '') }),
      el('pre', { id: 'request-body', text: bodyText(req.body) }),
      el('h2', { text: 'Response' + (resp ? ' ' + resp.status + (resp.streamed ? ' (streamed)' : '') : '') }),
      el('pre', { id: 'response-body', text: resp ? bodyText(resp.body) : '(no response recorded)' }),
      el('h2', { text: 'Replay' }), el('div', { class: 'replay-controls' }, play, el('label', {}, 'speed ', speed),
        el('label', {}, raw, ' raw events'), replayInfo),
      replay,
      el('h2', { text: 'Place in the audit chain' }),
      el('table', {}, el('tr', {}, ['Event', 'Replica', 'Seq', 'Time', 'Hash'].map(h => el('th', { text: h }))),
        (s.events || []).map(e => el('tr', {}, el('td', { text: e.type }), el('td', { text: e.replica }),
          el('td', { text: e.seq }), el('td', { class: 'mono', text: e.time }), el('td', { class: 'mono', text: e.hash })))));
  }
  function bodyText(b) {
    if (!b) return '(none)';
    if (b.chunks) return b.chunks.map(c => c.text !== undefined ? c.text : '[' + (c.base64 || '').length + ' base64 chars]').join('');
    if (b.text !== undefined) return pretty(b.text) + (b.truncated ? '\n… (truncated, ' + b.size + ' bytes in all)' : '');
    if (b.omitted) return '(' + b.size + ' bytes, not stored: ' + b.omitted + ')';
    return JSON.stringify(b, null, 2);
  }
  let replayRun = 0;
  // The text a streamed chunk adds to the answer: OpenAI SSE deltas, Ollama NDJSON, else the chunk as sent.
  function answerText(chunk) {
    let found = false;
    let text = '';
    for (const line of chunk.split('\n')) {
      const json = line.startsWith('data:') ? line.substring(5).trim() : line.trim();
      if (!json.startsWith('{')) continue;
      try {
        const o = JSON.parse(json);
        const c = o.choices && o.choices[0];
        const piece = c ? (c.delta ? (c.delta.content || c.delta.reasoning_content || '') : (c.text || ''))
          : o.message ? (o.message.content || '') : (o.response || '');
        found = true;
        text += piece;
      } catch (e) { /* not JSON: shown raw below */ }
    }
    return found ? text : chunk;
  }
  async function runReplay(id, out, speed, info, button, raw) {
    const run = ++replayRun;
    out.textContent = '';
    const r = await api('/sessions/' + encodeURIComponent(id) + '/replay');
    if (r.status !== 200) { info.textContent = problemText(r); return; }
    const body = r.body.response && r.body.response.body;
    const chunks = body && body.chunks ? body.chunks : body && body.text !== undefined ? [{ atMs: 0, text: body.text }] : [];
    if (chunks.length === 0) { info.textContent = 'no answer was recorded'; return; }
    button.disabled = true;
    const t0 = chunks[0].atMs || 0;
    const started = performance.now();
    for (let i = 0; i < chunks.length; i++) {
      const factor = Number(speed.value);
      const due = factor === 0 ? 0 : ((chunks[i].atMs || 0) - t0) / factor;
      const wait = due - (performance.now() - started);
      if (wait > 0) await new Promise(res => setTimeout(res, wait));
      if (run !== replayRun) return;
      const text = chunks[i].text !== undefined ? chunks[i].text : '';
      out.textContent += raw.checked ? text : answerText(text);
      info.textContent = 'chunk ' + (i + 1) + ' of ' + chunks.length + ' · recorded at +' + chunks[i].atMs + ' ms';
    }
    info.textContent = 'replayed ' + chunks.length + ' chunk(s) over ' + ((chunks[chunks.length - 1].atMs || 0) - t0) + ' ms as recorded';
    out.setAttribute('data-done', 'true');
    button.disabled = false;
  }

  // ---- audit and health ----
  async function audit(params) {
    const window_ = params.get('window') === '24h' ? '24h' : '1h';
    const chains = el('div', { id: 'chains', text: 'Verifying the audit chains…' });
    const agents = el('div', { id: 'agents', text: 'Asking the agents…' });
    const config = el('div', { id: 'config-version', text: 'Reading the config version…' });
    const refresh = el('button', { type: 'button', id: 'health-refresh', text: 'Refresh agents and config' });
    refresh.addEventListener('click', () => health(agents, config));
    const plots = el('div', { class: 'grid', id: 'plots' });
    const pick = el('div', { class: 'pager' }, ['1h', '24h'].map(w => el('a', { href: '#/audit?window=' + w },
      el('button', { type: 'button', class: w === window_ ? 'primary' : '', text: 'last ' + (w === '1h' ? 'hour' : 'day') }))));
    show(el('h1', { text: 'Audit and health' }), chains, el('h2', { text: 'Agents connected' }), agents,
      el('h2', { text: 'Config version live' }), config, el('p', {}, refresh), el('h2', { text: 'Traffic' }), pick, plots);
    health(agents, config);
    const [v, st] = await Promise.all([api('/audit/verify'), api('/audit/stats?window=' + window_)]);
    if (v.status !== 200) { chains.textContent = problemText(v); chains.className = 'error'; } else {
      chains.replaceChildren(...[el('p', {}, badge(v.body.ok ? 'ok' : 'bad'), ' ', v.body.ok ? 'every chain verifies' : 'a chain does not verify'),
        el('table', {}, el('tr', {}, ['Replica', 'State', 'Events', 'Seq', 'Checkpoints', 'Last checkpoint', 'Unsealed', 'Problem']
          .map(h => el('th', { text: h }))), v.body.chains.map(c => el('tr', {},
          el('td', { text: c.replica }), el('td', {}, badge(c.ok ? 'ok' : 'bad')), el('td', { text: c.events }),
          el('td', { text: c.firstSeq + '…' + c.lastSeq }), el('td', { text: c.checkpoints }),
          el('td', { text: c.lastCheckpoint ? '#' + c.lastCheckpoint.number + ' at seq ' + c.lastCheckpoint.seq + ', ' + ago(c.lastCheckpoint.at) : '—' }),
          el('td', { text: c.unsealed }), el('td', { text: c.problem ? c.problem.kind + ' at ' + c.problem.seq + ': ' + c.problem.message : '' }))))]);
    }
    if (st.status !== 200) { plots.textContent = problemText(st); plots.className = 'error'; return; }
    const s = st.body;
    plots.append(
      panel('Requests per ' + s.bucketLabel + ' by decision', lines(s.buckets, s.decisions, b => b.byDecision)),
      panel('Latency p50 / p99 (ms)', lines(s.buckets, ['p50', 'p99'], b => ({ p50: b.p50, p99: b.p99 }))),
      panel('Denials by policy rule', bars(s.denialsByRule)),
      panel('Masked values by detector', bars(s.maskedByDetector)),
      panel('Top callers', bars(s.topCallers)));
    plots.append(el('p', { class: 'muted', text: s.records + ' exchanges in the ' + (window_ === '1h' ? 'last hour' : 'last day')
      + (s.truncated ? ' (the newest ' + s.records + ' counted)' : '') }));
  }
  // Agents per name (listening or dial-out) and the config version each replica serves: the admin API's
  // GET /admin/agents and GET /admin/config, asked when the page opens and on Refresh.
  async function health(agents, config) {
    const [a, c] = await Promise.all([api('/agents'), api('/config')]);
    if (a.status !== 200) { agents.textContent = problemText(a); agents.className = 'error'; } else {
      agents.className = '';
      const rows = [];
      for (const g of a.body.agents) {
        if (g.members.length === 0) {
          rows.push(el('tr', { 'data-agent': g.name }, el('td', { text: g.name }), el('td', { text: '—' }),
            el('td', { text: 'none attached' }), el('td', {}), el('td', {}, badge('bad'))));
        }
        for (const m of g.members) {
          rows.push(el('tr', { class: 'agent-member', 'data-agent': g.name, 'data-mode': m.mode },
            el('td', { text: g.name }), el('td', { text: m.mode }),
            el('td', { class: 'mono', text: m.mode === 'listening' ? m.address : m.identity + ' from ' + m.remote }),
            el('td', { text: m.mode === 'listening' ? '' : 'since ' + ago(m.since) + (m.instance ? ' · ' + m.instance : '')
              + (m.services && m.services.length ? ' · serves ' + m.services.join(', ') : '') }),
            el('td', {}, badge(m.connected ? 'ok' : 'bad'), m.problem ? ' ' + m.problem : '')));
        }
      }
      agents.replaceChildren(el('p', {}, a.body.agents.map(g => el('span', { class: 'agent-count', 'data-agent': g.name },
          badge(g.connected > 0 ? 'ok' : 'bad'), ' ' + g.name + ': ' + g.connected + ' of ' + g.known + ' connected  '))),
        el('table', { id: 'agents-table' }, el('tr', {}, ['Agent', 'Mode', 'Address / identity', 'Attached', 'State']
          .map(h => el('th', { text: h }))), rows));
    }
    if (c.status !== 200) { config.textContent = problemText(c); config.className = 'error'; return; }
    const v = c.body;
    config.className = '';
    config.replaceChildren(facts([['Version (digest)', el('code', { id: 'config-digest', text: v.version })],
        ['Applied', v.appliedAt + ' (' + ago(v.appliedAt) + ')'], ['By', v.appliedBy + ' · ' + v.trigger],
        ['Replica', v.replica], ['Directory', v.directory], ['Draining', v.draining ? 'yes' : '']]),
      el('table', { id: 'config-replicas' }, el('tr', {}, ['Replica', 'Version', 'Applied', 'By', 'Seen', 'Same as here']
        .map(h => el('th', { text: h }))), (v.replicas || []).map(r => el('tr', {}, el('td', { text: r.replica }),
          el('td', { class: 'mono', text: r.version.replace(/^sha256:/, '').substring(0, 12) }), el('td', { text: ago(r.appliedAt) }),
          el('td', { text: r.appliedBy }), el('td', { text: ago(r.seenAt) }), el('td', {}, badge(r.matchesThisReplica ? 'ok' : 'bad'))))));
  }

  // ---- break-glass review ----
  async function breakGlass(params) {
    const all = params.get('status') === 'all';
    const info = el('p', { class: 'muted', id: 'break-glass-status' });
    const list = el('div', { id: 'break-glass-uses' });
    const pick = el('div', { class: 'pager' }, [['waiting', 'Waiting for review'], ['all', 'All uses']].map(([k, t]) =>
      el('a', { href: '#/break-glass?status=' + k }, el('button', { type: 'button', class: (k === 'all') === all ? 'primary' : '', text: t }))));
    show(el('h1', { text: 'Break-glass uses' }), el('p', { class: 'muted', text: 'Each time someone passed a rule'
      + ' marked breakGlass during an open window, it waits here until a reviewer acknowledges it.' }), pick, info, list);
    const r = await api('/break-glass/uses?status=' + (all ? 'all' : 'waiting'));
    if (r.status !== 200) { info.textContent = problemText(r); info.className = 'error'; return; }
    info.textContent = r.body.count + (all ? ' use(s)' : ' use(s) waiting for review');
    for (const u of r.body.uses) list.append(useCard(u));
  }
  function useCard(u) {
    const node = el('div', { class: 'card break-glass-use', 'data-id': u.id, id: 'use-' + u.id });
    const state = el('span');
    const message = el('div', { class: 'message' });
    const review = el('div');
    const reason = el('input', { type: 'text', class: 'reason', placeholder: 'Review note (recorded in the audit trail)', maxlength: 500 });
    const ack = el('button', { class: 'approve acknowledge', type: 'button', text: 'Acknowledge' });
    function render(x) {
      state.replaceChildren(badge(x.acknowledged ? 'ok' : 'pending'), ' ', x.acknowledged ? 'acknowledged' : 'waiting for review');
      review.replaceChildren(x.acknowledged ? facts([['Reviewed by', x.reviewer], ['Note', x.review], ['At', x.reviewedAt]]) : '');
      ack.disabled = x.acknowledged;
    }
    ack.addEventListener('click', async () => {
      ack.disabled = true;
      const r = await api('/break-glass/uses/' + encodeURIComponent(u.id) + '/acknowledge',
        { method: 'POST', body: JSON.stringify({ reason: reason.value || null }) });
      if (r.status === 200) {
        message.replaceChildren(el('span', { class: 'decided', text: 'Acknowledged by you' }));
        render(r.body);
      } else {
        message.replaceChildren(el('span', { class: 'error', text: problemText(r) }));
        ack.disabled = false;
      }
    });
    const bypassed = u.bypassed ? u.bypassed.policy + ' / ' + u.bypassed.rule + (u.bypassed.reason ? ': ' + u.bypassed.reason : '') : '';
    node.append(el('div', { class: 'head' }, el('span', { class: 'title', text: u.username + ' passed ' + bypassed + ' on ' + u.endpoint }),
        state, el('span', { class: 'muted mono', text: u.id })),
      facts([['Justification', u.justification], ['When', u.at + ' (' + ago(u.at) + ')'], ['Window', u.window],
        ['Exchange', me.rights.recordings ? el('a', { href: '#/session/' + encodeURIComponent(u.recordId), text: u.recordId }) : u.recordId]]),
      review,
      me.rights.acknowledge ? el('div', { class: 'decide' }, reason, ack) : null, message);
    render(u);
    return node;
  }

  function panel(title, content) { return el('div', { class: 'card plot-card' }, el('h2', { text: title }), content); }
  function lines(buckets, series, pick) {
    const W = 360, H = 150, L = 34, B = 18;
    let max = 1;
    buckets.forEach(b => series.forEach(k => { max = Math.max(max, pick(b)[k] || 0); }));
    const x = i => L + (buckets.length < 2 ? 0 : i * (W - L - 6) / (buckets.length - 1));
    const y = v => H - B - (v / max) * (H - B - 8);
    const plot = svg('svg', { class: 'plot', viewBox: '0 0 ' + W + ' ' + H, role: 'img' },
      svg('line', { class: 'axis', x1: L, y1: H - B, x2: W - 4, y2: H - B }),
      svg('line', { class: 'axis', x1: L, y1: 6, x2: L, y2: H - B }),
      svg('text', { x: 2, y: 12, text: String(Math.round(max)) }), svg('text', { x: 2, y: H - B, text: '0' }),
      buckets.length ? svg('text', { x: L, y: H - 4, text: buckets[0].label }) : null,
      buckets.length ? svg('text', { x: W - 40, y: H - 4, text: buckets[buckets.length - 1].label }) : null,
      series.map((k, i) => svg('polyline', { class: 'c' + (i % 6), points: buckets.map((b, j) => x(j) + ',' + y(pick(b)[k] || 0)).join(' ') })));
    const legend = el('div', { class: 'legend' }, series.map((k, i) => el('span', {}, el('i', { class: 'c' + (i % 6) }), k)));
    return el('div', {}, plot, legend);
  }
  function bars(entries) {
    if (!entries || entries.length === 0) return el('p', { class: 'muted', text: 'none' });
    const W = 360, row = 18, H = entries.length * row + 4, L = 150;
    const max = Math.max(1, ...entries.map(e => e.count));
    return svg('svg', { class: 'plot', viewBox: '0 0 ' + W + ' ' + H, role: 'img' }, entries.map((e, i) => [
      svg('text', { x: 2, y: i * row + 13, text: e.name.length > 26 ? e.name.substring(0, 25) + '…' : e.name }),
      svg('rect', { class: 'c' + (i % 6), x: L, y: i * row + 3, height: row - 6, width: Math.max(1, (e.count / max) * (W - L - 40)) }),
      svg('text', { x: L + Math.max(1, (e.count / max) * (W - L - 40)) + 4, y: i * row + 13, text: String(e.count) })]).flat());
  }

  document.addEventListener('DOMContentLoaded', start);
})();
