/* sms-mockserver web inbox: plain JavaScript, no build step, no network beyond /_mock/.
 *
 * Everything comes from the /_mock/ JSON API; live changes arrive over server-sent events
 * (/_mock/events). Filters and the open message live in the URL so that a link can be shared.
 */
"use strict";

// The page is one for every namespace: ?ns=NAME points its API at /ns/NAME/_mock (the default
// namespace is plain /_mock). The server-wide list of namespaces stays on the default API.
const ROOT_API = new URL("../", location.href).pathname.replace(/\/$/, ""); // "/_mock"
const NS = new URLSearchParams(location.search).get("ns") || "default";
const NS_PREFIX = NS === "default" ? "" : "/ns/" + encodeURIComponent(NS); // in front of vendor paths too
const API = ROOT_API.replace(/\/_mock$/, "") + NS_PREFIX + "/_mock";
const LIMIT = 500; // rows kept in the list (the API has the whole journal)
const TZ = "Asia/Bangkok"; // the vendors' zone (UTC+7), also Ho Chi Minh City's
const PALETTE = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#65a30d"];
const FILTERS = ["vendor", "status", "phone", "q"];

const $ = (id) => document.getElementById(id);
const state = {
  replyDrafts: new Map(), // "vendor:number" -> what is typed in a thread's reply box (kept across re-renders)
  vendors: [],
  vendorInfo: {}, // name -> {title, color, ...}
  messages: new Map(), // id -> message (list shape)
  gone: new Map(), // id -> seq of messages deleted: a listing fetched before the delete must not bring them back
  panels: [], // the open panels ("detail", "connect", "subscriber"), the most recently opened last
  rows: new Map(), // id -> <tr>
  filters: { vendor: "", status: "", phone: "", q: "" },
  selected: null,
  stats: null,
  maxSeq: 0,
  clock: null, // {now, at, frozen}
  loadToken: 0,
  inboundVendors: [], // vendors with an inbound (2-way) API: the "send as subscriber" boxes
};

/* ---------- small helpers ---------- */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "style") el.setAttribute("style", value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/* The admin token (when the server has one): asked once, kept for this tab's session only. */
const TOKEN_KEY = "sms-mock-admin-token";
function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: "Bearer " + token } : {};
}
function askToken() {
  const token = window.prompt("This mock server needs its admin token (--admin-token):");
  if (token) sessionStorage.setItem(TOKEN_KEY, token.trim());
  return !!token;
}

async function api(method, path, body, retried) {
  const init = { method, headers: authHeaders() };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(API + path, init);
  if (resp.status === 401 && !retried) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (askToken()) return api(method, path, body, true);
  }
  let data = null;
  try { data = await resp.json(); } catch (_) { /* not JSON */ }
  if (!resp.ok) {
    const problems = data && data.problems ? ": " + data.problems.join("; ") : "";
    throw new Error(((data && data.error) || `HTTP ${resp.status}`) + problems);
  }
  return data;
}

let toastTimer = null;
function toast(text, isError) {
  const el = $("toast");
  el.textContent = text;
  el.classList.toggle("error", !!isError);
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, isError ? 6000 : 2600);
}

async function copyText(text, button) {
  try {
    if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
    else {
      const area = h("textarea", { style: "position:fixed;opacity:0" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    if (button) {
      const label = button.textContent;
      button.textContent = "Copied";
      button.classList.add("done");
      setTimeout(() => { button.textContent = label; button.classList.remove("done"); }, 1200);
    }
  } catch (err) {
    toast("Could not copy: " + err.message, true);
  }
}

function copyButton(getText, label = "Copy", testid = null) {
  const btn = h("button", { type: "button", class: "copy", title: "Copy to clipboard", "data-testid": testid });
  btn.textContent = label;
  btn.addEventListener("click", (ev) => { ev.stopPropagation(); copyText(typeof getText === "function" ? getText() : getText, btn); });
  return btn;
}

const timeFmt = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const dateFmt = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" });
function fmtTime(t) { return timeFmt.format(new Date(t * 1000)); }
function fmtDateTime(t) { return `${dateFmt.format(new Date(t * 1000))} ${fmtTime(t)}`; }
function fmtPrecise(t) {
  const ms = String(Math.floor((t % 1) * 1000)).padStart(3, "0");
  return `${fmtDateTime(t)}.${ms}`;
}
function fmtDelta(seconds) {
  if (seconds < 1) return `+${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `+${seconds.toFixed(2)} s`;
  if (seconds < 7200) return `+${(seconds / 60).toFixed(1)} min`;
  return `+${(seconds / 3600).toFixed(1)} h`;
}
function fmtCredits(c) { return c === null || c === undefined ? "" : String(Number(c.toFixed(4))); }

function langOf(text) {
  if (/[\u0E00-\u0E7F]/.test(text)) return "th";
  if (/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i.test(text)) return "vi";
  return null;
}

function digits(s) { return String(s || "").replace(/\D/g, ""); }
function samePhone(recipient, phone) { // as the API's phone filter: national or international form
  const a = digits(recipient), b = digits(phone);
  if (a === b) return true;
  return a.replace(/^0+/, "").slice(-9) === b.replace(/^0+/, "").slice(-9) && Math.min(a.length, b.length) >= 9;
}

function pretty(body, contentType) {
  if (body === null || body === undefined) return "";
  const text = String(body);
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try { return JSON.stringify(JSON.parse(trimmed), null, 2); } catch (_) { /* not JSON */ }
  }
  if ((contentType || "").includes("x-www-form-urlencoded") && text.includes("=")) {
    try {
      return [...new URLSearchParams(text)].map(([k, v]) => `${k} = ${v}`).join("\n");
    } catch (_) { /* keep raw */ }
  }
  if (trimmed.startsWith("<")) return trimmed.replace(/>\s*</g, ">\n<");
  return text;
}

function headerText(headers) {
  return Object.entries(headers || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
}

function curlFor(req) {
  const q = (s) => "'" + String(s).replace(/'/g, "'\\''") + "'";
  const parts = ["curl", "-sS", "-X", req.method, q(location.origin + req.path)];
  for (const [k, v] of Object.entries(req.headers || {})) if (v) parts.push("-H", q(`${k}: ${v}`));
  if (req.body) parts.push("--data-binary", q(req.body));
  return parts.join(" ");
}

function vendorTag(name, pill) {
  const info = state.vendorInfo[name] || { title: name, color: "#888" };
  return h("span", { class: pill ? "tag pill" : "tag", style: `--c:${info.color}`, "data-vendor": name, text: info.title });
}

function statusBadge(status, testid) {
  return h("span", { class: `status ${status}`, "data-testid": testid, text: status });
}

/* ---------- URL state ---------- */
function readUrl() {
  const params = new URLSearchParams(location.search);
  for (const key of FILTERS) state.filters[key] = params.get(key) || "";
  state.selected = params.get("id") || null;
}

function writeUrl() {
  const params = new URLSearchParams();
  if (NS !== "default") params.set("ns", NS);
  for (const key of FILTERS) if (state.filters[key]) params.set(key, state.filters[key]);
  if (state.selected) params.set("id", state.selected);
  const qs = params.toString();
  history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
}

/* ---------- list ---------- */
function matches(m) {
  const f = state.filters;
  if (f.vendor && m.vendor !== f.vendor) return false;
  if (f.status && m.status !== f.status) return false;
  if (f.phone && !samePhone(m.recipient, f.phone)) return false;
  if (f.q) {
    const needle = f.q.toLowerCase();
    if (![m.text, m.sender || "", m.recipient, m.id].some((v) => String(v).toLowerCase().includes(needle))) return false;
  }
  return true;
}

function isOtp(m) { return /otp|voice/i.test(m.operation) || m.encoding === "voice"; }

function buildRow(m) {
  // Focusable (not a tab stop each: 500 of them), so that closing the detail can give the focus
  // back to the row it came from; Enter opens a focused row, the arrows move between rows.
  const tr = h("tr", { "data-id": m.id, "data-testid": "row", tabindex: "-1" });
  tr.addEventListener("click", () => openDetail(m.id));
  tr.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); openDetail(m.id); }
    else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      const next = ev.key === "ArrowDown" ? tr.nextElementSibling : tr.previousElementSibling;
      if (next) { ev.preventDefault(); next.focus(); }
    }
  });
  fillRow(tr, m);
  return tr;
}

function fillRow(tr, m) {
  const text = h("td", { class: "c-text", title: m.text, lang: langOf(m.text) });
  if (isOtp(m)) text.append(h("span", { class: "otp-flag", text: "OTP" }));
  text.append(m.text);
  tr.replaceChildren(
    h("td", { class: "c-time", title: fmtPrecise(m.created_at), text: fmtTime(m.created_at) }),
    h("td", { class: "c-vendor" }, vendorTag(m.vendor, true)),
    h("td", { class: "c-from", title: m.sender || "", text: m.sender || "—" }),
    h("td", { class: "c-to", "data-testid": "row-recipient", text: m.recipient }),
    text,
    h("td", { class: "c-status" }, statusBadge(m.status, "row-status")),
    h("td", { class: "c-credits", text: fmtCredits(m.credits) }),
  );
  tr.dataset.status = m.status;
  tr.classList.toggle("selected", m.id === state.selected);
}

function upsertRow(m, fresh) {
  const rows = $("rows");
  let tr = state.rows.get(m.id);
  if (tr) { fillRow(tr, m); return; }
  tr = buildRow(m);
  if (fresh) tr.classList.add("fresh");
  state.rows.set(m.id, tr);
  let before = rows.firstElementChild;
  while (before && state.messages.get(before.dataset.id) && state.messages.get(before.dataset.id).seq > m.seq) before = before.nextElementSibling;
  rows.insertBefore(tr, before);
  while (rows.children.length > LIMIT) {
    const last = rows.lastElementChild;
    state.rows.delete(last.dataset.id);
    if (last.dataset.id !== state.selected) state.messages.delete(last.dataset.id);
    last.remove();
  }
}

function removeRow(id) {
  const tr = state.rows.get(id);
  if (tr) { tr.remove(); state.rows.delete(id); }
}

function newer(a, b) { // the later of two snapshots of one message (timelines only grow)
  if (!a) return b;
  return b.timeline.length >= a.timeline.length ? b : a;
}

function updateEmpty() {
  const total = state.stats ? state.stats.messages.total : 0;
  const shown = state.rows.size;
  $("empty").hidden = total > 0;
  $("no-match").hidden = !(total > 0 && shown === 0);
  document.querySelector(".messages").hidden = total === 0;
  $("shown").textContent = total ? `${shown} shown · ${total} in journal` : "";
}

async function loadMessages() {
  const token = ++state.loadToken;
  const params = new URLSearchParams({ limit: String(LIMIT) });
  for (const key of FILTERS) if (state.filters[key]) params.set(key, state.filters[key]);
  let data;
  try { data = await api("GET", "/messages?" + params); } catch (err) { toast("Could not load messages: " + err.message, true); return; }
  if (token !== state.loadToken) return; // a newer load is on its way
  const rows = $("rows");
  rows.replaceChildren();
  state.rows.clear();
  const keep = new Map();
  data.messages = data.messages.filter((m) => state.gone.get(m.id) !== m.seq);
  for (const m of data.messages) {
    const best = newer(state.messages.get(m.id), m);
    keep.set(m.id, best);
    state.maxSeq = Math.max(state.maxSeq, m.seq);
  }
  if (state.selected && state.messages.has(state.selected) && !keep.has(state.selected)) keep.set(state.selected, state.messages.get(state.selected));
  state.messages = keep;
  for (const m of data.messages) {
    const best = keep.get(m.id);
    if (!matches(best)) continue;
    const tr = buildRow(best);
    state.rows.set(m.id, tr);
    rows.append(tr);
  }
  updateEmpty();
}

function onMessage(m) {
  if (state.gone.get(m.id) === m.seq) return; // deleted meanwhile (a late answer, not a new message)
  const known = state.messages.get(m.id);
  const isNew = !known && m.seq > state.maxSeq;
  if (isNew && state.stats) {
    const byVendor = state.stats.messages.by_vendor;
    byVendor[m.vendor] = (byVendor[m.vendor] || 0) + 1;
    state.stats.messages.total += 1;
    renderCounts();
  }
  state.maxSeq = Math.max(state.maxSeq, m.seq);
  const best = newer(known, m);
  state.messages.set(m.id, best);
  if (matches(best)) upsertRow(best, isNew);
  else removeRow(m.id);
  updateEmpty();
  if (m.id === state.selected) scheduleDetail();
}

/* ---------- counts & filters ---------- */
function renderCounts() {
  const bar = $("counts");
  if (!state.stats) return;
  const by = state.stats.messages.by_vendor;
  const chips = [h("button", { type: "button", class: "count total" + (state.filters.vendor ? "" : " active"), "data-testid": "count-all", onclick: () => setFilter("vendor", "") },
    "All ", h("b", { text: state.stats.messages.total }))];
  for (const v of state.vendors) {
    chips.push(h("button", {
      type: "button", class: "count" + (state.filters.vendor === v.name ? " active" : ""), "data-testid": `count-${v.name}`,
      title: `Show only ${v.title}`, onclick: () => setFilter("vendor", state.filters.vendor === v.name ? "" : v.name),
    }, vendorTag(v.name), h("b", { text: by[v.name] || 0 })));
  }
  bar.replaceChildren(...chips);
}

function setFilter(key, value) {
  state.filters[key] = value;
  const input = $("f-" + key);
  if (input.value !== value) input.value = value;
  writeUrl();
  renderCounts();
  loadMessages();
}

function bindFilters() {
  let timer = null;
  for (const key of FILTERS) {
    const input = $("f-" + key);
    input.value = state.filters[key];
    const apply = () => { if (state.filters[key] !== input.value.trim()) setFilter(key, input.value.trim()); };
    if (input.tagName === "SELECT") input.addEventListener("change", apply);
    else input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(apply, 200); });
  }
  $("f-clear").addEventListener("click", () => {
    for (const key of FILTERS) { state.filters[key] = ""; $("f-" + key).value = ""; }
    writeUrl(); renderCounts(); loadMessages();
  });
}

/* ---------- detail ---------- */
let detailTimer = null;
function scheduleDetail() {
  clearTimeout(detailTimer);
  detailTimer = setTimeout(() => loadDetail(), 80);
}

function openDetail(id) {
  state.selected = id;
  panelShown("detail", true);
  writeUrl();
  for (const [rid, tr] of state.rows) tr.classList.toggle("selected", rid === id);
  loadDetail();
}

/* Close the detail; when the focus was in it (its close or Delete button, the reply box) it goes
   to ``focusTo``, else the message's row, else the list, and never is left on the page's body. */
function closeDetail(focusTo) {
  const pane = $("detail");
  const active = document.activeElement;
  const hadFocus = !active || active === document.body || pane.contains(active);
  const row = state.selected ? state.rows.get(state.selected) : null;
  state.selected = null;
  writeUrl();
  for (const tr of state.rows.values()) tr.classList.remove("selected");
  pane.hidden = true;
  pane.replaceChildren();
  panelShown("detail", false);
  if (hadFocus) (focusTo && focusTo.isConnected ? focusTo : row || $("list")).focus();
}

async function loadDetail() {
  const id = state.selected;
  if (!id) return;
  let message, callbacks;
  try {
    [message, callbacks] = await Promise.all([
      api("GET", "/messages/" + encodeURIComponent(id)),
      api("GET", "/callbacks?message=" + encodeURIComponent(id)),
    ]);
  } catch (err) {
    if (id === state.selected) {
      $("detail").hidden = false;
      $("detail").replaceChildren(h("div", { class: "d-body" }, h("p", { class: "muted", text: `Message ${id}: ${err.message}` }),
        h("button", { type: "button", class: "panel-btn", onclick: () => closeDetail(), text: "Close" })));
    }
    return;
  }
  if (id !== state.selected) return;
  if (state.gone.get(message.id) === message.seq) return; // deleted while this was on its way
  let thread = null;
  if (state.inboundVendors.includes(message.vendor)) {
    try { thread = await loadThread(message.vendor, message.recipient); } catch (err) { thread = { error: err.message }; }
    if (id !== state.selected) return;
  }
  const scroll = $("detail").scrollTop;
  renderDetail(message, callbacks.callbacks || [], thread);
  $("detail").scrollTop = scroll;
}

function section(title, content, ...extra) {
  return h("section", { class: "d-section" }, h("h4", {}, title, ...extra), content);
}

/* ---------- the number's thread (SMS 2-way): inbound SMS and the messages to that number ---------- */
async function loadThread(vendor, phone) {
  const q = new URLSearchParams({ vendor, phone, limit: "50" });
  const [inbound, messages] = await Promise.all([api("GET", "/inbound?" + q), api("GET", "/messages?" + q)]);
  const items = [
    ...inbound.inbound.map((r) => ({ kind: "in", at: r.created_at, r })),
    ...messages.messages.map((m) => ({ kind: "out", at: m.created_at, m })),
  ];
  items.sort((a, b) => a.at - b.at || (a.kind === "in" ? -1 : 1));
  return { vendor, phone, items };
}

function inboundOutcome(r) {
  if (r.status === "answered") {
    const a = r.answer || {};
    return `${a.code || ""} ${a.name || ""}`.trim() + (a.success ? " · success" : "");
  }
  if (r.status === "invalid") return "answer breaks the contract: " + (r.violation || []).join("; ");
  if (r.status === "unanswered") return "no answer: " + (r.last_error || "gave up");
  return r.last_error ? `waiting (last: ${r.last_error})` : "waiting for the customer";
}

function bubble(item, current) {
  if (item.kind === "in") {
    const r = item.r;
    return h("li", { class: "bubble in", "data-testid": "thread-in", "data-inbound": r.id },
      h("div", { class: "b-text", lang: langOf(r.text), text: r.text }),
      h("div", { class: "b-meta" }, `${fmtTime(r.created_at)} · ${r.keyword || ""} · `, statusBadge(r.status, "thread-in-status"),
        h("span", { class: "b-outcome", "data-testid": "thread-in-outcome", text: " " + inboundOutcome(r) }),
        r.fields && r.fields.error_message ? h("span", { class: "b-error", text: " · " + r.fields.error_message }) : null));
  }
  const m = item.m;
  return h("li", { class: "bubble out" + (m.id === current ? " current" : ""), "data-testid": "thread-out", "data-id": m.id,
    onclick: () => { if (m.id !== current) openDetail(m.id); } },
  h("div", { class: "b-text", lang: langOf(m.text), text: m.text }),
  h("div", { class: "b-meta" }, `${fmtTime(m.created_at)} · ${m.sender || ""} · `, statusBadge(m.status),
    m.fields && m.fields.inbound_id ? h("span", { class: "b-outcome", text: ` reply to ${m.fields.inbound_id}` }) : null));
}

async function sendInbound(body, button) {
  if (button) button.disabled = true;
  try {
    const r = await api("POST", "/inbound", body);
    toast(r.status === "answered" ? `Answered ${r.answer.code || ""} ${r.answer.name || ""}` : `Inbound ${r.id}: ${inboundOutcome(r)}`, r.status === "invalid" || r.status === "unanswered");
    return r;
  } catch (err) {
    toast("Inbound SMS: " + err.message, true);
    return null;
  } finally {
    if (button) button.disabled = false;
    if (state.selected) scheduleDetail();
  }
}

function renderThread(thread, m) {
  if (thread.error) return section("Conversation", h("p", { class: "muted", text: thread.error }));
  const list = h("ol", { class: "thread", "data-testid": "thread" }, thread.items.map((item) => bubble(item, m.id)));
  const text = h("input", { class: "grow", "data-testid": "reply-text", placeholder: `Text ${m.recipient} sends`, "aria-label": "Subscriber's text" });
  const keyword = h("input", { class: "kw", "data-testid": "reply-keyword", placeholder: "Keyword", "aria-label": "Keyword" });
  const lastIn = thread.items.filter((item) => item.kind === "in").pop();
  if (lastIn && lastIn.r.keyword) keyword.value = lastIn.r.keyword; // the service the subscriber uses
  const send = h("button", { type: "button", class: "panel-btn good", "data-testid": "reply-send", text: "Send as subscriber" });
  // Live events re-render the detail pane: what is being typed must survive that.
  const draft = `${m.vendor}:${m.recipient}`;
  text.value = state.replyDrafts.get(draft) || "";
  text.addEventListener("input", () => state.replyDrafts.set(draft, text.value));
  const go = async () => {
    if (!text.value.trim()) { text.focus(); return; }
    const body = { vendor: m.vendor, from: m.recipient, text: text.value };
    if (keyword.value.trim()) body.keyword = keyword.value.trim();
    if ($("s-url").value.trim()) body.url = $("s-url").value.trim();
    if (await sendInbound(body, send)) { text.value = ""; state.replyDrafts.delete(draft); }
  };
  send.addEventListener("click", go);
  text.addEventListener("keydown", (ev) => { if (ev.key === "Enter") go(); });
  const box = h("div", { class: "reply-box", "data-testid": "reply-box" }, keyword, text, send);
  return section(`Conversation with ${m.recipient}`, h("div", {}, list, box));
}

/* Where the focus is in the detail, as a selector (its data-testid, else any control) and its rank
   among the matches, so that a re-render (every live change of the message re-renders it) can
   put it back instead of dropping it on the page's body. */
const CONTROLS = "button, input, select, textarea, summary, a[href]";
function focusInDetail(pane) {
  const el = document.activeElement;
  if (!el || el === pane || !pane.contains(el)) return null;
  const selector = el.dataset.testid ? `[data-testid="${el.dataset.testid}"]` : CONTROLS;
  const caret = "selectionStart" in el && el.type !== "button" ? [el.selectionStart, el.selectionEnd] : null;
  return { selector, rank: [...pane.querySelectorAll(selector)].indexOf(el), caret };
}

function restoreFocus(pane, where) {
  if (!where || where.rank < 0) return;
  const el = pane.querySelectorAll(where.selector)[where.rank];
  if (!el) return;
  el.focus({ preventScroll: true });
  if (where.caret && where.caret[0] !== null) el.setSelectionRange(...where.caret);
}

function renderDetail(m, callbacks, thread) {
  const pane = $("detail");
  const focused = focusInDetail(pane);
  pane.hidden = false;
  const head = h("div", { class: "d-head" },
    h("div", { class: "d-title" }, vendorTag(m.vendor, true), h("span", { class: "mid", title: m.id, text: m.id }),
      copyButton(m.id, "Copy id"), h("button", { type: "button", class: "d-close", title: "Close", "aria-label": "Close", "data-testid": "close-detail", onclick: () => closeDetail(), text: "×" })),
    h("div", { class: "d-actions" },
      h("button", { type: "button", class: "panel-btn good", "data-testid": "mark-delivered", onclick: () => mark(m.id, "delivered"), text: "Mark delivered" }),
      h("button", { type: "button", class: "panel-btn bad", "data-testid": "mark-failed", onclick: () => mark(m.id, "failed"), text: "Mark failed" }),
      h("button", { type: "button", class: "panel-btn", "data-testid": "delete-message", title: "Remove this message from the journal (every open inbox drops it)", onclick: () => deleteMessage(m), text: "Delete" }),
      statusBadge(m.status, "detail-status")));

  const body = h("div", { class: "d-body" });
  if (m.otp) {
    const o = m.otp;
    const meta = [o.ref ? `ref ${o.ref}` : null, o.expires_at ? `expires ${fmtTime(o.expires_at)}` : null,
      o.verified ? "verified" : "not verified yet", o.attempts ? `${o.attempts} attempt(s)` : null].filter(Boolean).join(" · ");
    body.append(section("One-time code", h("div", { class: "otp-box" },
      h("span", { class: "otp-code", "data-testid": "otp-code", text: o.code }),
      h("div", { class: "otp-meta" }, meta, h("div", {}, copyButton(o.code, "Copy code"))))));
  }
  if (thread) body.append(renderThread(thread, m));
  body.append(section("Message", h("pre", { class: "fulltext", lang: langOf(m.text), "data-testid": "detail-text", text: m.text }), copyButton(m.text)));

  const facts = [
    ["Encoding", m.encoding], ["Parts", m.parts], ["Credits", fmtCredits(m.credits)],
    ["From", m.sender || "—"], ["To", m.recipient], ["Account", m.account],
    ["Operation", m.operation], ["Received", fmtDateTime(m.created_at)], ["Callbacks", m.callbacks.length],
  ];
  body.append(section("Details", h("div", { class: "facts" }, facts.map(([k, v]) =>
    h("div", { class: "fact" }, h("div", { class: "k", text: k }), h("div", { class: "v", "data-testid": `fact-${k.toLowerCase()}`, text: String(v) }))))));

  const t0 = m.timeline.length ? m.timeline[0].at : m.created_at;
  body.append(section("Delivery timeline", h("ol", { class: "timeline", "data-testid": "timeline" }, m.timeline.map((step) =>
    h("li", { class: step.status }, statusBadge(step.status), h("span", { class: "when", text: fmtPrecise(step.at) }),
      h("span", { class: "delta", text: step.at === t0 ? "" : fmtDelta(step.at - t0) }))))));

  if (m.request) {
    const r = m.request;
    const ct = (r.headers || {})["Content-Type"] || "";
    body.append(section("Request",
      h("div", {}, h("div", { class: "http-line" }, h("span", { class: "method", text: r.method }), location.origin + r.path),
        h("pre", { class: "code", "data-testid": "request-headers", text: headerText(r.headers) }),
        h("pre", { class: "code", "data-testid": "request-body", style: "margin-top:6px", text: pretty(r.body, ct) })),
      copyButton(r.body, "Copy body"), copyButton(() => curlFor(r), "Copy as curl")));
  }
  if (m.response) {
    const a = m.response;
    body.append(section("Response",
      h("div", {}, h("div", { class: "http-line" }, h("span", { class: "method", text: "HTTP" }), String(a.status)),
        h("pre", { class: "code", "data-testid": "response-headers", text: headerText(a.headers) }),
        h("pre", { class: "code", "data-testid": "response-body", style: "margin-top:6px", text: pretty(a.body, (a.headers || {})["Content-Type"]) + (a.truncated ? "\n… (cut)" : "") })),
      copyButton(a.body, "Copy body")));
  }

  const cbs = h("div", { "data-testid": "callbacks" });
  if (!callbacks.length) {
    cbs.append(h("p", { class: "muted", text: m.callback_url ? `Reports go to ${m.callback_url}.` : "No callback URL: this message has no delivery reports to send." }));
  }
  for (const cb of callbacks) cbs.append(renderCallback(cb));
  body.append(section(`Callbacks (${callbacks.length})`, cbs));

  const extra = { fields: m.fields, final: m.final };
  body.append(section("Vendor fields", h("pre", { class: "code", text: JSON.stringify(extra, null, 2) })));
  pane.replaceChildren(head, body);
  restoreFocus(pane, focused);
}

function renderCallback(cb) {
  const rows = cb.attempts.map((a) => h("tr", {},
    h("td", { text: fmtTime(a.at) }), h("td", { text: a.status === null ? "—" : a.status }),
    h("td", { text: `${Math.round(a.latency_ms)} ms` }), h("td", { class: "err", text: a.error || "" })));
  const last = cb.attempts[cb.attempts.length - 1];
  return h("div", { class: "cb", "data-testid": "callback", "data-callback": cb.id },
    h("div", { class: "cb-head" }, statusBadge(cb.state, "callback-state"), h("span", { class: "mono muted", text: cb.id }),
      h("span", { class: "url" }, h("b", { text: cb.method + " " }), cb.url),
      h("button", { type: "button", class: "panel-btn", "data-testid": "replay", onclick: () => replay(cb.id), text: "Replay" })),
    cb.note ? h("div", { class: "cb-note", text: cb.note }) : null,
    cb.attempts.length
      ? h("table", { class: "attempts" }, h("thead", {}, h("tr", {}, h("th", { text: "Attempt" }), h("th", { text: "Status" }), h("th", { text: "Latency" }), h("th", { text: "Error" }))), h("tbody", {}, rows))
      : h("div", { class: "cb-note", text: "Not attempted yet." }),
    h("details", {}, h("summary", { text: "Payload and headers" }),
      h("pre", { class: "code", text: headerText(cb.headers) }),
      h("pre", { class: "code", style: "margin-top:6px", text: pretty(cb.body, (cb.headers || {})["Content-Type"]) }),
      h("div", { style: "margin-top:6px" }, copyButton(cb.body, "Copy payload"))),
    last && last.response_body ? h("details", {}, h("summary", { text: "Receiver's last answer" }), h("pre", { class: "code", text: last.response_body })) : null);
}

async function mark(id, status) {
  try {
    const m = await api("POST", `/messages/${encodeURIComponent(id)}/deliver`, { status });
    onMessage(m);
    toast(`Marked ${status}`);
    scheduleDetail();
  } catch (err) { toast(`Could not mark ${status}: ${err.message}`, true); }
}

/* No confirmation step (Reset has one: it empties everything); one message is cheap to lose in a
   mock, and the server's answer is what removes it here, so nothing is dropped that still exists. */
async function deleteMessage(m) {
  try {
    await api("DELETE", "/messages/" + encodeURIComponent(m.id));
  } catch (err) { toast("Could not delete: " + err.message, true); return; }
  onDeleted({ id: m.id, seq: m.seq, vendor: m.vendor });
  toast("Message deleted");
}

/* A message was deleted (here, or in another inbox: the "deleted" event). Idempotent, as both
   may arrive. The counts include it when its seq is not beyond what they were built from. */
function onDeleted(d) {
  if (state.gone.get(d.id) === d.seq) return;
  state.gone.set(d.id, d.seq);
  if (d.seq <= state.maxSeq) {
    if (state.stats) {
      const by = state.stats.messages.by_vendor;
      by[d.vendor] = Math.max(0, (by[d.vendor] || 0) - 1);
      state.stats.messages.total = Math.max(0, state.stats.messages.total - 1);
      renderCounts();
    }
  } else state.maxSeq = d.seq; // never counted here (added and deleted between two flushes)
  const known = state.messages.get(d.id);
  if (known && known.seq > d.seq) return; // a newer message under the same id (ANTS reuses ids)
  const tr = state.rows.get(d.id);
  const next = tr ? tr.nextElementSibling || tr.previousElementSibling : null;
  state.messages.delete(d.id);
  removeRow(d.id);
  if (state.selected === d.id) closeDetail(next);
  updateEmpty();
}

async function replay(id) {
  try {
    const cb = await api("POST", `/callbacks/${encodeURIComponent(id)}/replay`);
    toast(`Replayed as ${cb.id}`);
    scheduleDetail();
  } catch (err) { toast("Replay failed: " + err.message, true); }
}

/* ---------- header: clock, scenario, reset, vendors ---------- */
function setClock(c) {
  state.clock = { now: c.now, at: performance.now(), frozen: !!c.frozen };
  renderClock();
}

function renderClock() {
  if (!state.clock) return;
  const c = state.clock;
  const now = c.frozen ? c.now : c.now + (performance.now() - c.at) / 1000;
  $("clock").textContent = `${fmtDateTime(now)} +07`;
  $("clock").dataset.now = String(now);
  $("clock-frozen").hidden = !c.frozen;
}

async function advance(amount, label) {
  try {
    const c = await api("POST", "/clock", { advance: amount });
    setClock(c);
    toast(`Clock ${label}` + (c.fired ? ` · ${c.fired} timer(s) fired` : ""));
  } catch (err) { toast("Clock: " + err.message, true); }
}

async function loadScenario() {
  let files = { files: [] }, current = {};
  try {
    [files, current] = await Promise.all([api("GET", "/scenario/files"), api("GET", "/scenario")]);
  } catch (err) { toast("Scenario: " + err.message, true); }
  const stem = (s) => String(s).replace(/\.ya?ml$/, "");
  let active = null;
  if (Array.isArray(current.sources) && current.sources.length) active = current.sources.map(stem).join(" + ");
  else {
    const sources = [...new Set((current.rules || []).map((r) => r.source).filter(Boolean))];
    active = sources.length ? sources.map(stem).join(" + ") : (files.files.includes("default") ? "default" : null);
  }
  const select = $("scenario");
  const names = [...files.files];
  if (active && !names.includes(active)) names.unshift(active);
  select.replaceChildren(...names.map((n) => h("option", { value: n, text: n })));
  if (active) select.value = active;
  select.dataset.active = active || "";
}

async function switchScenario(name) {
  try {
    const result = await api("PUT", "/scenario", { name });
    toast(`Scenario ${name}: ${result.count ?? (result.rules || []).length} rule(s)`);
  } catch (err) { toast("Scenario: " + err.message, true); }
  loadScenario();
}

function bindHeader() {
  $("advance-min").addEventListener("click", () => advance("1m", "+1 min"));
  $("advance-hour").addEventListener("click", () => advance("1h", "+1 h"));
  $("scenario").addEventListener("change", (ev) => switchScenario(ev.target.value));
  const reset = $("reset");
  let armed = null;
  reset.addEventListener("click", async () => {
    if (!armed) {
      reset.classList.add("armed");
      reset.textContent = "Click to confirm";
      armed = setTimeout(() => { armed = null; reset.classList.remove("armed"); reset.textContent = "Reset"; }, 3000);
      return;
    }
    clearTimeout(armed); armed = null;
    reset.classList.remove("armed");
    reset.textContent = "Reset";
    try {
      await api("POST", "/reset");
      toast("Journal emptied, state back to start-up");
      onReset();
      loadScenario();
      setClock(await api("GET", "/clock"));
    } catch (err) { toast("Reset: " + err.message, true); }
  });
  $("toggle-connect").addEventListener("click", () => setPanel("connect", $("connect").hidden));
  setInterval(renderClock, 1000);
}

function demoRows(value, label, out) {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) {
      value.forEach((v, i) => out.push(kvRow(value.length > 1 ? `${label}[${i}]` : label, v)));
    } else {
      value.forEach((v, i) => { out.push(h("div", { class: "group", text: `${label} ${value.length > 1 ? "#" + (i + 1) : ""}` })); demoRows(v, "", out); });
    }
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (v && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x !== "object")) {
        for (const [k2, v2] of Object.entries(v)) out.push(kvRow(`${label ? label + "." : ""}${k}.${k2}`, v2));
      } else demoRows(v, label ? `${label}.${k}` : k, out);
    }
  } else {
    out.push(kvRow(label, value));
  }
  return out;
}

function kvRow(key, value) {
  const text = value === null ? "null" : String(value);
  return [h("span", { class: "k", text: key }), h("span", { class: "v", text }), copyButton(text)];
}

function renderConnect() {
  const panel = $("connect");
  panel.replaceChildren(...state.vendors.map((v) => {
    const rows = [];
    for (const mount of v.mounts) {
      const base = location.origin + NS_PREFIX + mount.prefix;
      rows.push(kvRow("Base URL", base));
      if (mount.hosts.length) rows.push(kvRow("Real host", mount.hosts.join(", ")));
    }
    demoRows(v.demo || {}, "", rows);
    return h("div", { class: "vcard", "data-testid": `vendor-${v.name}` },
      h("h3", {}, vendorTag(v.name), h("span", { class: "country", text: v.country })),
      h("div", { class: "kv" }, rows.flat()));
  }));
}

/* The header's "send as subscriber" box, for vendors with an inbound (2-way) API. */
function setupSubscriber() {
  state.inboundVendors = state.vendors.filter((v) => v.inbound).map((v) => v.name);
  const toggle = $("toggle-subscriber");
  toggle.hidden = !state.inboundVendors.length;
  $("s-vendor").replaceChildren(...state.vendors.filter((v) => v.inbound).map((v) => h("option", { value: v.name, text: v.title })));
  toggle.addEventListener("click", () => setPanel("subscriber", $("subscriber").hidden));
  const send = $("s-send");
  const go = async () => {
    const from = $("s-from").value.trim(), text = $("s-text").value;
    if (!from) { $("s-from").focus(); return; }
    if (!text.trim()) { $("s-text").focus(); return; }
    const body = { vendor: $("s-vendor").value, from, text };
    if ($("s-keyword").value.trim()) body.keyword = $("s-keyword").value.trim();
    if ($("s-url").value.trim()) body.url = $("s-url").value.trim();
    const r = await sendInbound(body, send);
    if (r && r.reply_message_id) { $("s-text").value = ""; openDetail(r.reply_message_id); }
    else if (r) $("s-text").value = "";
  };
  send.addEventListener("click", go);
  $("s-text").addEventListener("keydown", (ev) => { if (ev.key === "Enter") go(); });
}

async function loadSamples() {
  try {
    const data = await api("GET", "/samples");
    $("samples").replaceChildren(...data.samples.map((s) => h("div", { class: "sample", "data-testid": `sample-${s.vendor}` },
      h("div", { class: "sample-head" }, vendorTag(s.vendor, true), h("span", { class: "op", text: `${s.operation} · ${s.method} ${new URL(s.url).pathname}` }), copyButton(s.curl, "Copy")),
      h("pre", { text: s.curl }))));
  } catch (err) { $("samples").replaceChildren(h("p", { class: "muted", text: "Samples unavailable: " + err.message })); }
}

/* The counts come with the seq of the newest message they include: an event about a message up to
   it is already counted (see onMessage, onDeleted). */
function takeStats(stats) {
  state.stats = stats;
  state.maxSeq = Math.max(state.maxSeq, stats.messages.seq || 0);
}

async function loadStats() {
  try { takeStats(await api("GET", "/stats")); } catch (_) { return; }
  renderCounts();
  updateEmpty();
}

function onReset() {
  state.messages.clear();
  state.gone.clear(); // ids and seqs start again
  state.rows.clear();
  state.maxSeq = 0;
  $("rows").replaceChildren();
  if (state.stats) {
    for (const key of Object.keys(state.stats.messages.by_vendor)) state.stats.messages.by_vendor[key] = 0;
    state.stats.messages.total = 0;
  }
  closeDetail();
  renderCounts();
  updateEmpty();
}

/* ---------- panels: Escape closes them ---------- */
/* The detail, "Vendors & credentials" and the subscriber form are not modal, so several may be
   open at once. Escape closes one per press, like stacked layers: the one holding the focus,
   else the one opened last (a second Escape closes the next). It leaves alone what the key
   already means: an IME cancelling a composition (Thai, Vietnamese input), a search box the
   browser clears first. A panel closed with the focus inside hands it to what opened it. */
const TOGGLES = { connect: "toggle-connect", subscriber: "toggle-subscriber" };

function panelShown(name, open) {
  state.panels = state.panels.filter((p) => p !== name);
  if (open) state.panels.push(name);
}

function setPanel(name, open) {
  const panel = $(name), toggle = $(TOGGLES[name]);
  const hadFocus = panel.contains(document.activeElement);
  panel.hidden = !open;
  toggle.setAttribute("aria-expanded", String(open));
  panelShown(name, open);
  if (open && name === "subscriber") $("s-from").focus();
  if (!open && hadFocus) toggle.focus();
}

function onEscape(ev) {
  if (ev.key !== "Escape" || ev.defaultPrevented || ev.isComposing) return;
  const target = ev.target;
  if (target instanceof HTMLInputElement && target.type === "search" && target.value) return;
  const name = state.panels.find((p) => $(p).contains(document.activeElement)) || state.panels[state.panels.length - 1];
  if (!name) return;
  ev.preventDefault();
  if (name === "detail") closeDetail();
  else setPanel(name, false);
}

/* The Vendor column is as wide as the widest vendor's tag, measured in the browser's own font:
   a fixed width cut "FPT SMS Brandname", and the table keeps table-layout: fixed (rows that
   stream in never move the columns). */
function fitVendorColumn() {
  const table = document.querySelector(".messages");
  const probe = h("div", { "aria-hidden": "true", style: "position:absolute;left:-9999px;top:0;visibility:hidden" },
    state.vendors.map((v) => vendorTag(v.name, true)));
  document.body.append(probe);
  const widest = Math.max(0, ...[...probe.children].map((tag) => tag.getBoundingClientRect().width));
  probe.remove();
  const cell = getComputedStyle(table.querySelector("th.c-vendor"));
  const padding = parseFloat(cell.paddingLeft) + parseFloat(cell.paddingRight);
  if (widest) table.style.setProperty("--vendor-col", `${Math.ceil(widest + padding) + 1}px`);
}

/* ---------- live events ---------- */
/* EventSource cannot send headers: with a token, a single-use ticket (POST, with the token)
   goes in the URL instead, so the token itself never appears in one. A used ticket cannot
   reconnect, so a lost stream is reopened here with a new ticket. */
async function eventsUrl() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return API + "/events";
  const { ticket } = await api("POST", "/events/ticket");
  return API + "/events?ticket=" + encodeURIComponent(ticket);
}

async function connectEvents() {
  const live = $("live");
  let url;
  try { url = await eventsUrl(); } catch (err) { setTimeout(connectEvents, 2000); return; }
  const es = new EventSource(url);
  const on = (name, fn) => es.addEventListener(name, (ev) => { try { fn(JSON.parse(ev.data)); } catch (err) { console.error(name, err); } });
  on("hello", (data) => {
    live.classList.add("on");
    live.textContent = "live";
    setClock(data.clock);
    takeStats(data.stats);
    renderCounts();
    loadMessages(); // (re)connected: catch up on what happened meanwhile
    if (state.selected) scheduleDetail();
  });
  on("message", onMessage);
  on("deleted", onDeleted);
  on("callback", (cb) => { if (state.selected && cb.message_ids.includes(state.selected)) scheduleDetail(); });
  on("inbound", (r) => {
    const m = state.selected && state.messages.get(state.selected);
    if (m && m.vendor === r.vendor && samePhone(m.recipient, r.from)) scheduleDetail();
  });
  on("otp", (otp) => { if (state.selected && otp.message_id === state.selected) scheduleDetail(); });
  on("reset", () => { onReset(); loadScenario(); });
  on("resync", () => { loadStats(); loadMessages(); if (state.selected) scheduleDetail(); });
  on("clock", setClock);
  es.onerror = () => {
    live.classList.remove("on");
    live.textContent = "reconnecting…";
    if (sessionStorage.getItem(TOKEN_KEY)) { es.close(); setTimeout(connectEvents, 1000); }
  };
}

/* The namespace selector: every namespace the server holds (GET /_mock/namespaces), and a new
   one by name. Choosing one reloads the page on it: every panel, count and stream then reads that
   namespace only. */
async function loadNamespaces() {
  const select = $("namespace");
  let names = ["default"];
  try {
    const resp = await fetch(ROOT_API + "/namespaces", { headers: authHeaders() });
    if (resp.ok) names = (await resp.json()).namespaces.map((ns) => ns.name);
  } catch (_) { /* the selector still offers the default and the current one */ }
  if (!names.includes(NS)) names.push(NS);
  select.replaceChildren(...names.map((name) => h("option", { value: name, text: name })),
    h("option", { value: "", text: "New namespace…" }));
  select.value = NS;
  select.onchange = () => {
    let name = select.value;
    if (!name) {
      name = (prompt("Namespace name (letters, digits, . _ -)") || "").trim();
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) { select.value = NS; if (name) toast("Not a namespace name: " + name, true); return; }
    }
    const params = new URLSearchParams();
    if (name !== "default") params.set("ns", name);
    const qs = params.toString();
    location.assign(location.pathname + (qs ? "?" + qs : ""));
  };
}

// The server's version in the header, so that a screenshot or a bug report says which build it was.
async function loadVersion() {
  try { $("version").textContent = "v" + (await api("GET", "/health")).version; } catch (_) { /* the header works without it */ }
}

async function start() {
  readUrl();
  bindFilters();
  bindHeader();
  try {
    state.vendors = (await api("GET", "/vendors")).slice().sort((a, b) => a.name.localeCompare(b.name));
  } catch (err) { toast("Could not load vendors: " + err.message, true); }
  state.vendors.forEach((v, i) => { state.vendorInfo[v.name] = { title: v.title, color: PALETTE[i % PALETTE.length] }; });
  const select = $("f-vendor");
  for (const v of state.vendors) select.append(h("option", { value: v.name, text: v.title }));
  select.value = state.filters.vendor;
  renderConnect();
  fitVendorColumn();
  document.fonts.ready.then(fitVendorColumn); // again once every font is in: the widths are the font's
  setupSubscriber();
  loadVersion();
  loadNamespaces();
  loadSamples();
  loadScenario();
  await loadStats();
  if (state.selected) openDetail(state.selected);
  connectEvents();
  document.addEventListener("keydown", onEscape);
}

start();
