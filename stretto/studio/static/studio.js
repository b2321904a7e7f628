// stretto studio: the page. Plain JavaScript, no build step, nothing loaded from elsewhere.
// Every change goes through the JSON API (docs/studio.md); the score arrives as SVG drawn by
// Verovio on the server, each note's <g class="note"> carrying data-note, data-voice,
// data-bar, data-beat, data-pitch and its origin as a class.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN = new URLSearchParams(location.search).get("token");
if (TOKEN) history.replaceState(null, "", location.pathname);  // the cookie carries it now

const state = {
  summary: null,     // the score's view (GET /api/summary)
  selected: null,    // the selected note's id
  place: null,       // its place {voice, bar, beat}, to find it again after a re-solve
  region: null,      // {first, last, voice|null} marked with shift-click
  queue: Promise.resolve(),  // edits run one after another, in the order they were asked
  conflict: null,    // the last conflict's answer
  attempt: null,     // {id, next}: the pitch a refused pin asked for, so the next arrow goes on from it
  audio: null,       // {ctx, sources, gains, master, t0, info}
  buffers: null,     // {key, list}: decoded stems of a version
  mute: [], solo: [],
  features: {},
};

// ------------------------------------------------------------------------------ the API

async function api(path, body) {
  const init = { headers: {} };
  if (TOKEN) init.headers["X-Stretto-Token"] = TOKEN;
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    return { status: 0, data: { error: "the studio does not answer: is `stretto studio` still running?" } };
  }
  let data;
  try { data = await response.json(); } catch (err) { data = { error: `${response.status} ${response.statusText}` }; }
  return { status: response.status, data };
}

function say(text, kind) {
  const el = $("status");
  el.textContent = text;
  el.className = kind || "";
}

// ------------------------------------------------------------------------------ drawing

function noteById(id) {
  return state.summary && state.summary.notes.find((n) => n.id === id);
}

function noteAt(place) {
  if (!place || !state.summary) return null;
  return state.summary.notes.find((n) => n.voice === place.voice && n.bar === place.bar && n.beat === place.beat) || null;
}

function groupsOf(id) {
  return Array.from($("score").querySelectorAll(`g.note[data-note="${CSS.escape(id)}"]`));
}

function mark(group, kind) {
  // a rectangle behind the notehead (the whole note, stem too, for the click target):
  // marks never change the note's own colour
  const head = kind === "hit" ? group : group.querySelector(".notehead") || group;
  let box;
  try { box = head.getBBox(); } catch (err) { return; }
  const pad = 60;
  const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  rect.setAttribute("class", `mark ${kind}`);
  rect.setAttribute("x", box.x - pad);
  rect.setAttribute("y", box.y - pad);
  rect.setAttribute("width", box.width + 2 * pad);
  rect.setAttribute("height", box.height + 2 * pad);
  rect.setAttribute("rx", 40);
  group.insertBefore(rect, group.firstChild);
}

function clearMarks(kind) {
  $("score").querySelectorAll(`rect.mark.${kind}`).forEach((r) => r.remove());
}

function drawMarks() {
  clearMarks("selected"); clearMarks("region"); clearMarks("conflict"); clearMarks("preference");
  if ($("show-soft").checked) {
    // a soft rule's notes get an orange halo: their colour still says whose they are
    $("score").querySelectorAll("g.note.preference").forEach((g) => mark(g, "preference"));
  }
  if (state.region && state.summary) {
    for (const n of state.summary.notes) {
      if (n.bar >= state.region.first && n.bar <= state.region.last &&
          (state.region.voice === null || state.region.voice === n.voice) && n.id !== state.selected) {
        groupsOf(n.id).forEach((g) => mark(g, "region"));
      }
    }
  }
  if (state.selected) groupsOf(state.selected).forEach((g) => mark(g, "selected"));
  if (state.conflict) {
    for (const ids of Object.values(state.conflict.notes || {})) {
      ids.forEach((id) => groupsOf(id).forEach((g) => mark(g, "conflict")));
    }
  }
}

async function redraw(summary) {
  // the SVG and the summary of one version: fetch again if an edit landed in between
  for (let attempt = 0; attempt < 3; attempt++) {
    const init = TOKEN ? { headers: { "X-Stretto-Token": TOKEN } } : {};
    const [svgResponse, fresh] = await Promise.all([
      fetch("/api/score.svg", init),
      summary ? Promise.resolve({ status: 200, data: summary }) : api("/api/summary"),
    ]);
    if (!svgResponse.ok || fresh.status !== 200) {
      const problem = fresh.status !== 200 ? fresh.data.error : (await svgResponse.json()).error;
      say(problem || "the score could not be drawn", "error");
      return;
    }
    const svg = await svgResponse.text();
    if (svgResponse.headers.get("X-Stretto-Version") !== fresh.data.version) {
      summary = null;
      continue;
    }
    state.summary = fresh.data;
    $("score").innerHTML = svg;
    // a hollow notehead is mostly empty: a clear box over each makes the whole head clickable
    $("score").querySelectorAll("g.note").forEach((g) => mark(g, "hit"));
    break;
  }
  const again = noteAt(state.place);
  state.selected = again ? again.id : (noteById(state.selected) ? state.selected : null);
  drawMarks();
  showPanels();
  document.body.dataset.version = state.summary.version;  // the redraw is done
  refreshSide();
}

function showPanels() {
  const s = state.summary;
  $("title").textContent = s.title;
  document.title = `${s.title} - stretto studio`;
  $("undo").disabled = s.undo === 0;
  $("redo").disabled = s.redo === 0;
  showSelection();
  // the voices of the region selector and the mixer
  const voiceSelect = $("region-voice");
  if (voiceSelect.options.length !== s.voices.filter((v) => !v.given).length + 1) {
    voiceSelect.innerHTML = '<option value="">every voice</option>' +
      s.voices.filter((v) => !v.given).map((v) => `<option value="${v.index}">${v.index} ${esc(v.name)}</option>`).join("");
  }
  $("bar-from").max = $("bar-to").max = s.bars;
  showMixer();
  const shown = s.violations.filter((v) => v.severity === "hard" || $("show-soft").checked);
  $("violations").innerHTML = shown.length ? shown.map((v, i) =>
    `<li class="${v.severity}" data-i="${i}" title="${esc(v.rule)}">bar ${v.bar} beat ${esc(v.beat)}: ${esc(v.message)}` +
    `${v.severity === "waived" ? " (waived)" : ""}</li>`).join("")
    : `<li class="muted">no broken rules${$("show-soft").checked ? " or preferences" : ""}</li>`;
  $("violations").querySelectorAll("li[data-i]").forEach((li) => {
    li.onclick = () => { const v = shown[+li.dataset.i]; if (v.notes.length) select(v.notes[0]); };
  });
  $("constraints").innerHTML = s.constraints.length ?
    s.constraints.map((c) => `<li>${esc(c.id)}: ${esc(c.text)}</li>`).join("") : '<li class="muted">none</li>';
}

function showSelection() {
  const n = noteById(state.selected);
  const on = !!n;
  for (const id of ["up", "down", "up-chromatic", "down-chromatic", "unpin", "lock-voice", "lock-bars", "unlock", "pitch", "pin-pitch"]) {
    $(id).disabled = !on;
  }
  if (!n) {
    $("selection").innerHTML = "Click a note in the score.";
    return;
  }
  const voice = state.summary.voices[n.voice - 1];
  const kinds = { yours: "yours", solver: "the solver's", given: `given (${voice.role})` };
  $("selection").innerHTML =
    `<div><span class="pitch">${esc(n.pitch)}</span> <span class="kind ${n.kind}">${kinds[n.kind]}</span></div>` +
    `<div>voice ${n.voice} (${esc(voice.name)}), bar ${n.bar}, beat ${esc(n.beat)}` +
    (n.source ? `, <span class="muted">from ${esc(n.source)}</span>` : "") + "</div>" +
    (voice.locks.length ? `<div class="muted">locked: bars ${voice.locks.map((l) => l.join("-")).join(", ")}</div>` : "");
  if (document.activeElement !== $("pitch")) $("pitch").value = n.pitch;
  $("up").disabled = !n.up; $("down").disabled = !n.down;
  $("up-chromatic").disabled = !n.up_chromatic; $("down-chromatic").disabled = !n.down_chromatic;
  $("lock-voice").disabled = $("lock-bars").disabled = voice.given;
}

async function refreshSide() {
  const [prov, hist] = await Promise.all([api("/api/provenance"), api("/api/history")]);
  if (prov.status === 200) {
    $("provenance").innerHTML = "<tr><th>voice</th><th>yours</th><th></th></tr>" +
      prov.data.voices.map((v) => `<tr><td>${esc(v.voice)}</td><td>${v.human_notes} of ${v.notes}</td>` +
        `<td><div class="bar"><span style="width:${(100 * v.human_share).toFixed(0)}%"></span></div></td></tr>`).join("") +
      `<tr><td><b>total</b></td><td>${prov.data.total.human_notes} of ${prov.data.total.notes}</td>` +
      `<td>${(100 * prov.data.total.human_decision_share).toFixed(0)}% of decisions</td></tr>`;
  }
  if (hist.status === 200) {
    const runs = Object.fromEntries(hist.data.runs.map((r) => [r.id, r]));
    $("history").innerHTML = hist.data.entries.slice().reverse().map((e) => {
      const run = runs[e.run];
      const solved = run ? ` &middot; solver ${esc(run.id)} (${esc(run.status)}, seed ${run.seed})` : "";
      const changed = e.notes_changed !== undefined ? `, ${e.notes_changed} notes changed` : "";
      return `<li value="${e.n}"><span class="by">${esc(e.by)}</span>: ${esc(e.what)}` +
        `<div class="meta">${esc(e.at)}${solved}${changed}</div></li>`;
    }).join("");
    $("steps").textContent = `${hist.data.undo} undo, ${hist.data.redo} redo steps`;
  }
}

// ------------------------------------------------------------------------------ editing

function select(id, extend) {
  const n = noteById(id);
  if (!n) return;
  if (extend && state.selected) {
    const a = noteById(state.selected);
    state.region = { first: Math.min(a.bar, n.bar), last: Math.max(a.bar, n.bar), voice: a.voice === n.voice ? a.voice : null };
  } else {
    state.region = { first: n.bar, last: n.bar, voice: n.voice };
    if (state.selected !== id) state.attempt = null;
    state.selected = id;
    state.place = { voice: n.voice, bar: n.bar, beat: n.beat };
  }
  $("bar-from").value = state.region.first;
  $("bar-to").value = state.region.last;
  const given = state.summary.voices[(state.region.voice || 1) - 1].given;
  $("region-voice").value = state.region.voice && !given ? String(state.region.voice) : "";
  drawMarks();
  showSelection();
}

function hideConflict() {
  state.conflict = null;
  $("conflict").hidden = true;
  clearMarks("conflict");
}

function showConflict(data) {
  state.conflict = data;
  $("conflict-list").innerHTML = data.conflicts.map((c) => `<li>${esc(c)}</li>`).join("");
  const box = $("conflict");
  box.hidden = false;
  drawMarks();
  // beside the notes it names: under the system that holds the first of them, so that
  // the notes themselves stay in view
  const ids = Object.values(data.notes || {}).flat();
  const target = groupsOf(ids[0] || state.selected || "")[0];
  const pane = $("score-pane").getBoundingClientRect();
  if (target) {
    const r = target.getBoundingClientRect();
    const system = target.closest("g.system");
    const below = system ? system.getBoundingClientRect().bottom : r.bottom + 40;
    box.style.left = `${Math.max(8, Math.min(r.left - pane.left - 20, pane.width - box.offsetWidth - 8))}px`;
    box.style.top = `${below - pane.top + 6}px`;
  } else {
    box.style.left = "24px";
    box.style.top = "40px";
  }
}

function edit(path, body, doing) {
  // edits run one at a time, each on the score the previous one left
  state.queue = state.queue.then(() => runEdit(path, typeof body === "function" ? body() : body, doing));
  return state.queue;
}

async function runEdit(path, body, doing) {
  if (body === null) return;
  say(`${doing}\u2026`, "busy");
  $("score").classList.add("busy");
  document.body.dataset.busy = "1";
  hideConflict();
  stop();
  const t0 = performance.now();
  const { status, data } = await api(path, body);
  $("score").classList.remove("busy");
  state.attempt = null;
  if (status === 200) {
    hideConflict();
    document.body.dataset.editMs = data.edit_ms;  // the server's part: read, solve, save
    await redraw(data.summary);
    const ms = Math.round(performance.now() - t0);
    const changed = data.notes_changed === undefined || data.notes_changed === null ? "" :
      `, ${data.notes_changed} of ${data.notes_total} notes changed`;
    if (path === "/api/regenerate") showChoices(data, 1);
    else if (path === "/api/choose") showChoices(state.choices, body.option);
    else showChoices(null);
    const what = data.what || (data.direction ? `${data.direction}: back to after \u201c${data.back_to}\u201d` : path);
    say(`${what}${data.status ? ` (${data.status})` : ""}${changed} \u00b7 ${ms} ms`);
  } else if (status === 409) {
    const more = data.next ? ` (the arrow keys go on from ${data.pitch})` : "";
    say(`not possible: nothing changed${more}`, "error");
    if (data.next && state.selected) state.attempt = { id: state.selected, next: data.next };
    showConflict(data);
  } else {
    say(data.error || `error ${status}`, "error");
  }
  delete document.body.dataset.busy;
  document.body.dataset.edits = String(+(document.body.dataset.edits || 0) + 1);  // one more answered
}

function showChoices(regenerated, chosen) {
  // the alternatives of the last regeneration, best first; "take" makes one the score
  if (!regenerated || !regenerated.choices || regenerated.choices.length < 2) {
    state.choices = null;
    $("choices").innerHTML = "";
    return;
  }
  state.choices = regenerated;
  state.chosen = chosen;
  $("choices").innerHTML = "<tr><th>option</th><th>objective</th><th>changes</th><th></th></tr>" +
    regenerated.choices.map((c) => `<tr><td>${c.number}</td><td>${c.objective === null ? "-" : c.objective}</td>` +
      `<td>${c.free_changed} of ${regenerated.free_notes}</td><td>${c.number === state.chosen ? "<b>now</b>" :
        `<button data-option="${c.number}">take</button>`}</td></tr>`).join("");
  $("choices").querySelectorAll("button[data-option]").forEach((b) => {
    b.onclick = () => edit("/api/choose", { option: +b.dataset.option }, "taking option " + b.dataset.option);
  });
}

function pinStep(key, pitch) {
  edit("/api/pin", () => {
    const n = noteById(state.selected);
    const from = state.attempt && state.attempt.id === state.selected ? state.attempt.next : n;
    if (!n || !(pitch || from[key])) return null;
    const body = { voice: n.voice, bar: n.bar, beat: n.beat, pitch: pitch || from[key] };
    if (n.kind === "given") {
      if (state.summary.kind !== "species") { say("the given melody never changes: harmonize a new melody instead", "error"); return null; }
      if (!confirm(`Change the cantus firmus itself (bar ${n.bar} to ${body.pitch})?`)) return null;
      body.allow_cantus_edit = true;
    }
    return body;
  }, "re-solving");
}

function selectedVoice() {
  const n = noteById(state.selected);
  return n ? n.voice : null;
}

function regionBars() {
  const a = +$("bar-from").value, b = +$("bar-to").value;
  return `${Math.min(a, b)}-${Math.max(a, b)}`;
}

// ------------------------------------------------------------------------------ playing

function audible(i) {
  return state.solo.some(Boolean) ? !!state.solo[i] : !state.mute[i];
}

function showMixer() {
  const voices = state.summary.voices;
  $("mixer").innerHTML = "<tr><th>voice</th><th>mute</th><th>solo</th></tr>" + voices.map((v, i) =>
    `<tr><td>${v.index} ${esc(v.name)}</td><td><input type="checkbox" data-mute="${i}" ${state.mute[i] ? "checked" : ""} aria-label="mute ${esc(v.name)}"></td>` +
    `<td><input type="checkbox" data-solo="${i}" ${state.solo[i] ? "checked" : ""} aria-label="solo ${esc(v.name)}"></td></tr>`).join("");
  $("mixer").querySelectorAll("input").forEach((box) => {
    box.onchange = () => {
      if (box.dataset.mute !== undefined) state.mute[+box.dataset.mute] = box.checked;
      else state.solo[+box.dataset.solo] = box.checked;
      if (state.audio) state.audio.gains.forEach((g, i) => { g.gain.value = audible(i) ? 1 : 0; });
    };
  });
}

async function play() {
  stop();
  const engine = $("engine").value;
  say(`rendering (${engine})\u2026`, "busy");
  const { status, data } = await api(`/api/render?engine=${encodeURIComponent(engine)}`);
  if (status !== 200) { say(data.error || `error ${status}`, "error"); return; }
  const ctx = state.ctx || (state.ctx = new AudioContext());
  await ctx.resume();
  const key = `${data.version}/${engine}`;
  if (!state.buffers || state.buffers.key !== key) {
    const init = TOKEN ? { headers: { "X-Stretto-Token": TOKEN } } : {};
    const list = await Promise.all(data.stems.map((s) =>
      fetch(s.url, init).then((r) => r.arrayBuffer()).then((b) => ctx.decodeAudioData(b))));
    state.buffers = { key, list };
  }
  const master = ctx.createGain();
  master.gain.value = data.gain;  // the mix is the sum of the stems times this gain
  master.connect(ctx.destination);
  const t0 = ctx.currentTime + 0.05;
  const gains = [], sources = [];
  state.buffers.list.forEach((buffer, i) => {
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    const g = ctx.createGain();
    g.gain.value = audible(i) ? 1 : 0;
    src.connect(g).connect(master);
    src.start(t0);
    gains.push(g); sources.push(src);
  });
  sources[0].onended = () => { if (state.audio && state.audio.sources === sources) stop(); };
  state.audio = { ctx, sources, gains, master, t0, info: data };
  $("stop").disabled = false;
  say(`playing (${engine}, ${data.seconds.toFixed(1)} s)`);
  requestAnimationFrame(cursor);
}

function cursor() {
  const a = state.audio;
  if (!a) return;
  const t = a.ctx.currentTime - a.t0;
  clearMarks("playing");
  let first = null;
  for (const n of state.summary.notes) {
    if (n.start <= t && t < n.start + n.length && audible(n.voice - 1)) {
      groupsOf(n.id).forEach((g) => { mark(g, "playing"); first = first || g; });
    }
  }
  if (first) {
    const r = first.getBoundingClientRect();
    if (r.top < 60 || r.bottom > innerHeight) first.scrollIntoView({ block: "center", behavior: "smooth" });
  }
  requestAnimationFrame(cursor);
}

function stop() {
  const a = state.audio;
  state.audio = null;
  if (a) {
    a.sources.forEach((s) => { try { s.stop(); } catch (err) { /* already stopped */ } });
    a.master.disconnect();
  }
  clearMarks("playing");
  $("stop").disabled = true;
}

// ------------------------------------------------------------------------------ wiring

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function neighbour(step) {
  const n = noteById(state.selected);
  if (!n) return;
  const line = state.summary.notes.filter((m) => m.voice === n.voice);
  const i = line.findIndex((m) => m.id === n.id) + step;
  if (i >= 0 && i < line.length) select(line[i].id);
}

function hideMenu() {
  $("menu").hidden = true;
}

function showMenu(e, id) {
  // the actions on one note, at the pointer (right click)
  select(id);
  const n = noteById(id);
  const voice = state.summary.voices[n.voice - 1];
  const items = [
    [`\u2191 step to ${n.up || "-"}`, !n.up, () => pinStep("up")],
    [`\u2193 step to ${n.down || "-"}`, !n.down, () => pinStep("down")],
    [`\u2191 semitone to ${n.up_chromatic || "-"}`, !n.up_chromatic, () => pinStep("up_chromatic")],
    [`\u2193 semitone to ${n.down_chromatic || "-"}`, !n.down_chromatic, () => pinStep("down_chromatic")],
    [`Unpin bar ${n.bar}`, n.kind !== "yours", () => $("unpin").click()],
    null,
    [`Lock voice ${n.voice} (${voice.name})`, voice.given, () => edit("/api/lock", { voice: n.voice }, "locking")],
    [`Lock voice ${n.voice} bar ${n.bar}`, voice.given, () => edit("/api/lock", { voice: n.voice, bars: `${n.bar}-${n.bar}` }, "locking")],
    [`Unlock voice ${n.voice}`, !voice.locks.length, () => edit("/api/unlock", { voice: n.voice }, "unlocking")],
    null,
    [`Regenerate bar ${n.bar} of voice ${n.voice}`, voice.given, () => edit("/api/regenerate", { bars: `${n.bar}-${n.bar}`, voice: n.voice }, "regenerating")],
    [`Regenerate bar ${n.bar}, every voice`, false, () => edit("/api/regenerate", { bars: `${n.bar}-${n.bar}` }, "regenerating")],
  ];
  const menu = $("menu");
  menu.innerHTML = "";
  for (const item of items) {
    if (!item) { menu.appendChild(document.createElement("hr")); continue; }
    const [label, disabled, run] = item;
    const b = document.createElement("button");
    b.textContent = label;
    b.disabled = disabled;
    b.setAttribute("role", "menuitem");
    b.onclick = () => { hideMenu(); run(); };
    menu.appendChild(b);
  }
  const pane = $("score-pane").getBoundingClientRect();
  menu.hidden = false;
  menu.style.left = `${Math.min(e.clientX - pane.left, pane.width - menu.offsetWidth - 8)}px`;
  menu.style.top = `${e.clientY - pane.top}px`;
}

function wire() {
  $("score").addEventListener("contextmenu", (e) => {
    const g = e.target.closest("g.note");
    if (!g) return;
    e.preventDefault();
    showMenu(e, g.dataset.note);
  });
  document.addEventListener("click", (e) => { if (!e.target.closest("#menu")) hideMenu(); });
  $("score").addEventListener("click", (e) => {
    const g = e.target.closest("g.note");
    if (g) select(g.dataset.note, e.shiftKey);
    else if (!e.shiftKey) { state.selected = null; state.place = null; state.region = null; drawMarks(); showSelection(); }
  });
  $("pin-pitch").onclick = () => pinStep(null, $("pitch").value.trim());
  $("pitch").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); $("pin-pitch").click(); } });
  $("up").onclick = () => pinStep("up");
  $("down").onclick = () => pinStep("down");
  $("up-chromatic").onclick = () => pinStep("up_chromatic");
  $("down-chromatic").onclick = () => pinStep("down_chromatic");
  $("unpin").onclick = () => edit("/api/unpin", () => {
    const n = noteById(state.selected);
    return n ? { voice: n.voice, bar: n.bar, beat: n.beat } : null;
  }, "unpinning");
  $("lock-voice").onclick = () => edit("/api/lock", () => ({ voice: selectedVoice() }), "locking");
  $("lock-bars").onclick = () => edit("/api/lock", () => ({ voice: selectedVoice(), bars: regionBars() }), "locking");
  $("unlock").onclick = () => edit("/api/unlock", () => ({ voice: selectedVoice(), bars: regionBars() }), "unlocking");
  $("regenerate").onclick = () => edit("/api/regenerate", () => {
    const body = { bars: regionBars(), change: Math.min(100, Math.max(0, +$("change").value)) / 100,
                   options: Math.min(8, Math.max(1, +$("options").value || 1)) };
    const v = $("region-voice").value;
    if (v) body.voice = +v;
    return body;
  }, "regenerating");
  $("undo").onclick = () => edit("/api/undo", {}, "undoing");
  $("redo").onclick = () => edit("/api/redo", {}, "redoing");
  $("play").onclick = play;
  $("stop").onclick = stop;
  $("show-soft").onchange = () => { showPanels(); drawMarks(); };
  $("conflict").querySelector(".close").onclick = hideConflict;
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea")) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "z") { e.preventDefault(); edit(e.shiftKey ? "/api/redo" : "/api/undo", {}, e.shiftKey ? "redoing" : "undoing"); return; }
    if (mod && e.key.toLowerCase() === "y") { e.preventDefault(); edit("/api/redo", {}, "redoing"); return; }
    if (mod || e.altKey) return;
    const keys = {
      ArrowUp: () => pinStep(e.shiftKey ? "up_chromatic" : "up"),
      ArrowDown: () => pinStep(e.shiftKey ? "down_chromatic" : "down"),
      ArrowLeft: () => neighbour(-1),
      ArrowRight: () => neighbour(1),
      Delete: () => $("unpin").click(),
      Backspace: () => $("unpin").click(),
      Escape: () => { hideMenu(); hideConflict(); state.selected = null; state.place = null; state.region = null; drawMarks(); showSelection(); },
      " ": () => (state.audio ? stop() : play()),
    };
    if (keys[e.key] && (state.selected || e.key === " " || e.key === "Escape")) {
      e.preventDefault();
      keys[e.key]();
    }
  });
}

async function watch() {
  // an edit from elsewhere (a terminal, another tab): redraw when nothing of ours is running
  if (!document.hidden && !document.body.dataset.busy && state.summary && !state.audio) {
    const { status, data } = await api("/api/version");
    if (status === 200 && data.version !== state.summary.version && !document.body.dataset.busy) {
      state.queue = state.queue.then(async () => {
        await redraw();
        say("the score was changed elsewhere: redrawn");
      });
    }
  }
  setTimeout(watch, 2000);
}

async function start() {
  wire();
  const features = await api("/api/features");
  if (features.status === 200) {
    state.features = features.data;
    document.querySelectorAll("[data-feature]").forEach((el) => { el.hidden = !features.data[el.dataset.feature]; });
    if (features.data.neural) $("engine").insertAdjacentHTML("beforeend", '<option value="neural">neural</option>');
  }
  await redraw();
  setTimeout(watch, 2000);
  if (state.summary) say(`${state.summary.kind} \u00b7 ${state.summary.mode} \u00b7 ${state.summary.meter} \u00b7 ${state.summary.bars} bars`);
}

start();
