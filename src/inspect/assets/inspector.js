// Switchboard inspector page: the call list, the selected call's statecharts with their active states
// highlighted, and its timeline, kept live over server-sent events (/inspect/events). No dependencies.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const api = (path) =>
    fetch(`/inspect/api/${path}`, { credentials: 'same-origin' }).then((r) =>
      r.ok ? r.json() : Promise.reject(new Error(`${r.status} ${path}`)),
    );
  const MACHINE_ORDER = ['channel', 'retrievable-transfer', 'consult-transfer', 'agent-call'];
  const TITLES = {
    channel: 'Call leg (channel)',
    'retrievable-transfer': 'Retrievable transfer',
    'consult-transfer': 'Consult transfer',
    'agent-call': 'Agent desk call',
  };

  const calls = new Map(); // callId → call summary
  const svgs = new Map(); // machine name → Promise<svg text>
  let selected = null; // { callId, actors: Map(actorId → state), seen: Set(seq) }
  let mode = '';

  const time = (ms) => {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
    const d = new Date(ms);
    return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  };
  const valueText = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c) node.append(c);
    return node;
  };

  // ---- call list ----
  function renderCalls() {
    const list = $('calls');
    list.replaceChildren();
    const sorted = [...calls.values()].sort((a, b) => (b.startTime ?? b.updated) - (a.startTime ?? a.updated));
    $('no-calls').hidden = sorted.length > 0;
    $('no-calls').querySelector('code').textContent = $('no-calls')
      .querySelector('code')
      .textContent.replace('HOST', location.host);
    for (const c of sorted) {
      const who = c.from || c.to ? `${c.from ?? '?'} → ${c.to ?? '?'}` : c.callId;
      const button = el(
        'button',
        {
          type: 'button',
          'data-call': c.callId,
          'aria-current': String(selected?.callId === c.callId),
          onclick: () => select(c.callId),
        },
        el('div', { class: 'call-line' }, el('span', { text: who }), el('span', { class: 'state', text: c.state })),
        el('div', {
          class: 'call-id',
          text: `${c.callId}${c.parentCallId ? ` · transfer of ${c.parentCallId}` : ''} · ${c.live ? 'live' : 'ended'}`,
        }),
      );
      list.append(el('li', { class: c.live ? 'live' : 'ended' }, button));
    }
  }

  // ---- selected call ----
  // Entries that arrive over SSE while a call's detail is being fetched are held, then applied after it (the
  // detail may or may not include them; rows are kept once per seq), so no step is lost in between.
  let selecting = null; // { callId, held: [{ callIds, entry }] }

  async function select(callId) {
    if (location.hash !== `#${callId}`) history.replaceState(null, '', `#${callId}`);
    const pending = { callId, held: [] };
    selecting = pending;
    const detail = await api(`calls/${encodeURIComponent(callId)}`).catch(() => null);
    if (selecting !== pending) return; // another call was picked meanwhile
    selecting = null;
    if (!detail) {
      $('pick').textContent =
        `Call ${callId} is not known to this server (it may have ended before the inspector was recording).`;
      return;
    }
    selected = { callId, actors: new Map(detail.actors.map((a) => [a.actorId, a])), seen: new Set() };
    calls.set(callId, detail.call);
    renderCalls();
    $('pick').hidden = true;
    $('call-head').hidden = false;
    $('timeline-box').hidden = false;
    renderHead(detail.call);
    $('timeline').tBodies[0].replaceChildren();
    const note = [];
    if (detail.dropped > 0) note.push(`${detail.dropped} older entries were dropped.`);
    if (detail.timeline.length === 0 || detail.timeline[0].kind === 'watching') {
      note.push(
        mode === 'on-demand'
          ? 'Recording starts when an inspector page is open: the first row shows where the call was at that moment.'
          : '',
      );
    }
    $('timeline-note').textContent = note.join(' ');
    $('timeline-note').hidden = note.join('').length === 0;
    for (const entry of detail.timeline) addEntry(entry);
    const recorded = new Set(detail.timeline.map((e) => e.seq));
    for (const { callIds, entry } of pending.held) if (!recorded.has(entry.seq)) applyEntry(callIds, entry);
    renderCharts();
  }

  function renderHead(call) {
    $('call-title').textContent = `${call.from ?? ''} → ${call.to ?? ''}`;
    const facts = [
      `call ${call.callId}`,
      call.direction,
      call.parentCallId ? `transfer target of ${call.parentCallId}` : '',
      `state ${call.state}`,
      call.live && call.remoteHold ? 'held by the far end' : '',
      call.sip
        ? `SIP ${call.sip.callId} with ${call.sip.remoteUri} (${call.sip.transport} ${call.sip.remoteAddress})`
        : '',
      call.live ? 'live' : 'ended',
    ];
    $('call-facts').textContent = facts.filter(Boolean).join(' · ');
  }

  function svgOf(machine) {
    if (!svgs.has(machine))
      svgs.set(
        machine,
        fetch(`/inspect/api/machines/${machine}/svg`).then((r) => r.text()),
      );
    return svgs.get(machine);
  }

  // Panels are made at once; each one's SVG is fetched once per machine and, when it arrives, shows the
  // actor's state *then* (the state may have changed while it loaded).
  function renderCharts() {
    const box = $('charts');
    const actors = [...selected.actors.values()].sort(
      (a, b) => MACHINE_ORDER.indexOf(a.machine) - MACHINE_ORDER.indexOf(b.machine),
    );
    const wanted = new Set(actors.map((a) => a.actorId));
    for (const panel of [...box.children]) if (!wanted.has(panel.dataset.actor)) panel.remove();
    for (const actor of actors) {
      let panel = [...box.children].find((p) => p.dataset.actor === actor.actorId);
      if (!panel) {
        panel = el(
          'figure',
          { class: 'chart', 'data-actor': actor.actorId, 'data-machine': actor.machine },
          el('h3', { text: `${TITLES[actor.machine] ?? actor.machine}` }),
          el('p', { class: 'now' }),
          el('div', { class: 'svg' }),
        );
        box.append(panel);
        const made = panel;
        void svgOf(actor.machine).then(
          (svg) => {
            if (!made.isConnected) return; // the selected call (or its actors) changed meanwhile
            // The SVG is this server's own Graphviz rendering of the machine (no user data in it).
            made.querySelector('.svg').innerHTML = svg.slice(svg.indexOf('<svg'));
            highlight(made, selected.actors.get(actor.actorId) ?? actor);
          },
          () => {
            svgs.delete(actor.machine); // fetched again for the next panel
            made.querySelector('.svg').textContent = 'The diagram could not be loaded.';
          },
        );
      }
      highlight(panel, actor);
    }
  }

  function highlight(panel, actor) {
    const now = panel.querySelector('.now');
    now.replaceChildren(
      'now: ',
      el('b', { text: valueText(actor.value) }),
      actor.status === 'active' ? '' : ` (${actor.status})`,
      ` · ${actor.actorId}`,
    );
    panel.dataset.active = actor.active.join(' ');
    for (const g of panel.querySelectorAll('g.active')) g.classList.remove('active');
    for (const id of actor.active) {
      const g = panel.querySelector(`g[id="state_${id}"]`); // state ids are word characters and dots
      if (g) g.classList.add('active');
    }
  }

  function addEntry(entry) {
    if (!selected || selected.seen.has(entry.seq)) return;
    selected.seen.add(entry.seq);
    const body = $('timeline').tBodies[0];
    let from, what, value, cls;
    if (entry.kind === 'step') {
      from = el('span', { class: 'src', text: entry.machine });
      what = entry.event.type;
      value = valueText(entry.value) + (entry.status === 'active' ? '' : ` (${entry.status})`);
      cls = entry.ignored ? 'row step ignored' : 'row step';
    } else if (entry.kind === 'callback') {
      from = el('span', { class: 'src callback', text: 'callback' });
      what = entry.eventType;
      value = entry.payload.cause ? `cause ${entry.payload.cause}` : '';
      cls = 'row callback';
    } else {
      from = el('span', { class: 'src', text: 'inspector' });
      what = 'recording started';
      value = entry.actors.map((a) => `${a.machine}: ${valueText(a.value)}`).join(', ');
      cls = 'row watching';
    }
    const row = el(
      'tr',
      {
        class: cls,
        'data-seq': String(entry.seq),
        'data-time': String(entry.time),
        'data-kind': entry.kind,
        'data-event': what,
      },
      el('td', { class: 'time', text: time(entry.time) }),
      el('td', {}, from),
      el('td', { class: 'event', text: what }),
      el('td', { class: 'value', text: value }),
    );
    row.addEventListener('click', () => {
      const next = row.nextElementSibling;
      if (next && next.classList.contains('payload-row')) return next.remove();
      const payload =
        entry.kind === 'step'
          ? { event: entry.event, value: entry.value, active: entry.active, actor: entry.actorId, status: entry.status }
          : entry.kind === 'callback'
            ? entry.payload
            : entry.actors;
      row.after(
        el(
          'tr',
          { class: 'payload-row' },
          el('td', { colspan: '4' }, el('pre', { class: 'payload', text: JSON.stringify(payload, null, 2) })),
        ),
      );
    });
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    // In time order, as the hub keeps it: after every row at the same time or earlier (a callback is delivered
    // after the engine's turn, so it can arrive after steps that came later than it).
    let after = body.lastElementChild;
    while (after && (after.classList.contains('payload-row') || Number(after.dataset.time) > entry.time))
      after = after.previousElementSibling;
    while (after && after.nextElementSibling?.classList.contains('payload-row')) after = after.nextElementSibling;
    if (after) after.after(row);
    else body.prepend(row);
    if (atBottom) row.scrollIntoView({ block: 'nearest' });
  }

  // ---- live updates ----
  function connect() {
    const events = new EventSource('/inspect/events');
    events.addEventListener('open', async () => {
      $('connection').textContent = 'live';
      $('connection').className = 'pill ok';
      const list = await api('calls');
      mode = list.mode;
      $('mode').textContent = list.mode === 'on-demand' ? 'recording while this page is open' : 'recording always';
      calls.clear();
      for (const c of list.calls) calls.set(c.callId, c);
      renderCalls();
      const wanted = selected?.callId ?? decodeURIComponent(location.hash.slice(1));
      if (wanted) await select(wanted);
    });
    events.addEventListener('error', () => {
      $('connection').textContent = 'disconnected: retrying…';
      $('connection').className = 'pill bad';
    });
    events.addEventListener('call', (e) => {
      const { call } = JSON.parse(e.data);
      calls.set(call.callId, call);
      renderCalls();
      if (selected?.callId === call.callId) renderHead(call);
    });
    events.addEventListener('entry', (e) => {
      const { callIds, entry } = JSON.parse(e.data);
      if (selecting) {
        if (callIds.includes(selecting.callId)) selecting.held.push({ callIds, entry });
        return;
      }
      if (!selected || !callIds.includes(selected.callId)) return;
      applyEntry(callIds, entry);
      if (entry.kind === 'step') renderCharts();
    });
  }

  /** A new entry of the selected call: its timeline row and, for a step, where its actor is now. */
  function applyEntry(callIds, entry) {
    addEntry(entry);
    if (entry.kind === 'step') {
      const { event: _e, time: _t, seq: _s, kind: _k, ignored: _i, ...state } = entry;
      selected.actors.set(entry.actorId, { ...state, callIds });
    }
  }

  connect();
})();
