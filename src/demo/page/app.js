// propdesk demo page: acts as Telegram users on the Bot API stand-in and
// shows the chats as the stand-in holds them. Everything the bot says comes
// from the bot; only this page's own labels are here.
"use strict";

const T = {
  zh: {
    actingAs: "身份", unit: "房号", whatHappened: "发生了什么", choosePhoto: "🖼 选择照片…", samplePhoto: "📷 示例照片",
    residents: "住户", staffGroup: "员工群", staff: "员工", placeholder: "输入消息…", offline: "离线可用 · 所有消息都经过真实的 propdesk 流水线",
    registered: "已登记", unregistered: "未登记", empty: "发送 /start 开始，或点下面的按钮。", emptyGroup: "新工单卡片会出现在这里。以员工身份认领、回复、解决。",
    estate: (e) => `示例小区：${e.units} 户 · ${e.people} 位住户 · ${e.fees} 条收费 · ${e.open_tickets} 个未结工单`,
    traceEmpty: "在左边做点什么，这里会显示它经过流水线的每一步。", lastAction: "上一步", inbox: "收件箱（inbox）", outbox: "发件箱（outbox）与通道", requests: "Bot API 请求",
    none: "无", processed: "已处理", waiting: "处理中", edited: "已编辑", shareHint: "分享手机号", photoSent: "照片已发送", you: "你",
    roles: { owner: "业主", family: "家属", tenant: "租户", butler: "管家", supervisor: "主管", assistant: "助理", manager: "经理" },
    groupSub: (n) => `${n} 位员工 · 机器人在群里`, start: "开始",
    pinnedMessage: "置顶消息",
    errors: { photo_too_big: "Telegram 不接受超过 10 MB 的照片", upload_gone: "上传已失效，请重新选择照片", unknown_user: "没有这个用户", no_languages: "机器人没有给出语言选项", not_their_unit: "这不是该住户的房号" },
  },
  en: {
    actingAs: "Acting as", unit: "Unit", whatHappened: "What happened", choosePhoto: "🖼 Choose photos…", samplePhoto: "📷 Sample photo",
    residents: "Residents", staffGroup: "Staff group", staff: "Staff", placeholder: "Message…", offline: "Works offline · every message runs through the real propdesk pipeline",
    registered: "registered", unregistered: "not registered", empty: "Send /start to begin, or press a button below.", emptyGroup: "New ticket cards appear here. Claim, reply and resolve as staff.",
    estate: (e) => `Sample estate: ${e.units} units · ${e.people} residents · ${e.fees} fee lines · ${e.open_tickets} open tickets`,
    traceEmpty: "Do something on the left; every step it takes through the pipeline shows here.", lastAction: "Last action", inbox: "Inbox", outbox: "Outbox and lanes", requests: "Bot API requests",
    none: "none", processed: "processed", waiting: "in progress", edited: "edited", shareHint: "Share my phone", photoSent: "Photo sent", you: "You",
    roles: { owner: "owner", family: "family", tenant: "tenant", butler: "butler", supervisor: "supervisor", assistant: "assistant", manager: "manager" },
    groupSub: (n) => `${n} staff · the bot is a member`, start: "Start",
    pinnedMessage: "Pinned message",
    errors: { photo_too_big: "Telegram does not take photos over 10 MB", upload_gone: "The upload is gone; choose the photo again", unknown_user: "No such user", no_languages: "The bot did not offer the languages", not_their_unit: "Not one of their units" },
  },
};

const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774", "#5aa0d8"];
const store = {
  get(k, d) { try { const v = localStorage.getItem("propdesk." + k); return v === null ? d : JSON.parse(v); } catch (_) { return d; } },
  set(k, v) { try { localStorage.setItem("propdesk." + k, JSON.stringify(v)); } catch (_) { /* private mode */ } },
};

const S = {
  setup: null,
  chats: [],          // {id, title, kind, actors:[ids], persona}
  current: store.get("chat", null),
  actorInGroup: store.get("groupActor", 8001),
  ui: store.get("ui", (navigator.language || "zh").startsWith("zh") ? "zh" : "en"),
  logs: {},           // chat id → messages
  pinned: {},         // chat id → the pinned message id
  seen: store.get("seen", {}),
  trace: store.get("trace", window.innerWidth > 1100),
  hiddenKeyboards: {},
};
const $ = (s) => document.querySelector(s);
const t = (k, ...a) => { const v = T[S.ui][k]; return typeof v === "function" ? v(...a) : v; };
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k.nodeType ? k : document.createTextNode(String(k)));
  return e;
}
function avatar(name, id, cls) {
  const initial = [...(name || "?")][0].toUpperCase();
  return el("div", { class: "avatar " + (cls || ""), style: `background:${COLORS[Math.abs(id) % COLORS.length]}` }, initial);
}
function person(id) { return S.setup.people.find((p) => p.id === id); }
async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(errorText(j) || r.statusText);
  return j;
}
// Our own refusals by code, in the page's language; Telegram's words as given.
function errorText(j) {
  const own = j.code && T[S.ui].errors[j.code];
  if (j.code === "photo_too_big") return `${own} — ${j.error}`;
  return own || j.error;
}
function toast(text, error) {
  const n = el("div", { class: "toast" + (error ? " error" : "") }, text);
  $("#toasts").append(n);
  setTimeout(() => n.remove(), error ? 6000 : 3200);
}
function alertBox(text) { $("#alert-text").textContent = text; $("#alert").hidden = false; }

// ---------------------------------------------------------------- chats
function buildChats() {
  const people = S.setup.people;
  const chats = [];
  for (const p of people.filter((p) => p.kind !== "staff")) chats.push({ id: p.id, title: p.name, kind: "private", section: "residents", persona: p, actors: [p.id] });
  const staff = people.filter((p) => p.kind === "staff");
  chats.push({ id: S.setup.group.id, title: S.setup.group.title, kind: "group", section: "staffGroup", actors: staff.map((p) => p.id) });
  for (const p of staff.sort((a, b) => (a.role === "manager" ? -1 : b.role === "manager" ? 1 : 0))) chats.push({ id: p.id, title: p.name, kind: "private", section: "staff", persona: p, actors: [p.id] });
  S.chats = chats;
  if (!chats.some((c) => c.id === S.current)) S.current = chats[0].id;
}
function chatById(id) { return S.chats.find((c) => c.id === id); }
function actorOf(chat) { return chat.kind === "group" ? S.actorInGroup : chat.id; }
function visible(log) { return (log || []).filter((m) => !m.deleted); }
function preview(m) {
  if (!m) return "";
  if (m.photo) return "🖼 " + (m.caption || "");
  if (m.contact) return "📞 " + m.contact.phone_number;
  return (m.text || m.caption || "").split("\n")[0];
}
function hhmm(unix) { const d = new Date(unix * 1000); return d.toTimeString().slice(0, 5); }

function renderSidebar() {
  const nav = $("#chats");
  nav.replaceChildren();
  let section = null;
  for (const c of S.chats) {
    if (c.section !== section) { section = c.section; nav.append(el("div", { class: "section" }, t(section))); }
    const log = visible(S.logs[c.id]);
    const last = log[log.length - 1];
    const unread = log.filter((m) => m.side === "bot" && m.message_id > (S.seen[c.id] || 0)).length;
    let tag = "";
    if (c.persona) {
      const p = c.persona;
      tag = p.kind === "staff" ? t("roles")[p.role] : `${t("roles")[p.role] || p.role} · ${p.lang === "zh" ? "中" : "EN"}${p.kind === "unregistered" ? " · " + t("unregistered") : ""}`;
    }
    nav.append(el("button", { type: "button", class: "chat-item" + (c.id === S.current ? " active" : ""), "data-chat": c.id, onclick: () => openChat(c.id) },
      avatar(c.title, c.id),
      el("div", { class: "meta" },
        el("div", { class: "row" }, el("span", { class: "title" }, c.title, el("span", { class: "tag" }, tag)), el("span", { class: "time" }, last ? hhmm(last.date) : "")),
        el("div", { class: "row" }, el("span", { class: "preview" }, preview(last) || " "), unread && c.id !== S.current ? el("span", { class: "badge hot" }, unread) : null))));
  }
}

function openChat(id) {
  S.current = id;
  store.set("chat", id);
  $("#app").classList.remove("show-list");
  renderAll();
  refreshChat(id).then(() => scrollDown(true));
}

// ---------------------------------------------------------------- conversation
function renderHeader() {
  const c = chatById(S.current);
  $("#conv-avatar").replaceWith(Object.assign(avatar(c.title, c.id), { id: "conv-avatar" }));
  $("#conv-name").textContent = c.title;
  const actorBox = $("#actor-box"), unitBox = $("#unit-box"), langBox = $("#lang-box");
  actorBox.hidden = c.kind !== "group";
  if (c.kind === "group") {
    $("#conv-sub").textContent = t("groupSub", c.actors.length);
    const sel = $("#actor");
    sel.replaceChildren(...c.actors.map((id) => { const p = person(id); return el("option", { value: id, selected: id === S.actorInGroup }, `${p.name} (${t("roles")[p.role]})`); }));
  } else {
    const p = c.persona;
    const parts = [t("roles")[p.role] || p.role];
    if (p.units.length) parts.push(p.default_unit || p.units[0]);
    if (p.kind !== "staff") parts.push(p.kind === "unregistered" ? t("unregistered") : t("registered"));
    $("#conv-sub").textContent = parts.join(" · ");
  }
  const p = c.persona;
  unitBox.hidden = !(p && p.units.length > 1 && p.kind === "resident");
  if (!unitBox.hidden) $("#unit").replaceChildren(...p.units.map((u) => el("option", { value: u, selected: u === (p.default_unit || p.units[0]) }, u)));
  langBox.hidden = !p;
  if (p) for (const b of langBox.querySelectorAll("button")) b.classList.toggle("on", b.dataset.lang === p.lang);
  $("#trace-toggle").classList.toggle("on", S.trace);
}

function linkify(text) {
  const out = [];
  const re = /(https?:\/\/[^\s]+)/g;
  let last = 0, m;
  while ((m = re.exec(text))) {
    out.push(text.slice(last, m.index));
    const url = m[1];
    out.push(el("a", { href: url, onclick: (e) => { if (deepLink(url)) e.preventDefault(); }, target: "_blank", rel: "noopener" }, url));
    last = m.index + url.length;
  }
  out.push(text.slice(last));
  return out;
}
// t.me/<bot>?start=payload: Telegram opens the bot and sends /start payload.
function deepLink(url) {
  const m = /^https?:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]+)/.exec(url);
  if (!m || m[1].toLowerCase() !== S.setup.bot.toLowerCase()) return false;
  const c = chatById(S.current);
  const user = c.kind === "group" ? S.actorInGroup : c.id;
  openChat(user);
  sendText(`/start ${m[2]}`);
  return true;
}

function photoOf(m) { return m.photo ? m.photo[m.photo.length - 1].file_id : null; }

function renderMessages(stick) {
  const box = $("#messages");
  const c = chatById(S.current);
  const me = actorOf(c);
  const log = visible(S.logs[c.id]);
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const keep = box.scrollTop;
  box.replaceChildren();
  if (!log.length) box.append(el("div", { class: "empty" }, c.kind === "group" ? t("emptyGroup") : t("empty")));
  for (let i = 0; i < log.length; i++) {
    const m = log[i];
    // An album: consecutive messages sharing media_group_id, one bubble.
    let group = [m];
    if (m.media_group_id) { while (log[i + 1] && log[i + 1].media_group_id === m.media_group_id) group.push(log[++i]); }
    const own = m.side === "user" && m.from && m.from.id === me;
    const bubble = el("div", { class: "bubble" });
    if (c.kind === "group" && !own) bubble.append(el("div", { class: "from", style: `color:${COLORS[Math.abs(m.side === "bot" ? 1 : m.from.id) % COLORS.length]}` }, m.side === "bot" ? "propdesk" : m.from.first_name));
    if (m.reply_to_message) bubble.append(el("div", { class: "quote" }, preview(m.reply_to_message)));
    const photos = group.map(photoOf).filter(Boolean);
    if (photos.length === 1) bubble.append(el("img", { src: `/api/file/${photos[0]}`, alt: "photo", loading: "lazy" }));
    if (photos.length > 1) bubble.append(el("div", { class: "album" }, photos.map((f) => el("img", { src: `/api/file/${f}`, alt: "photo" }))));
    if (m.contact) bubble.append(el("div", { class: "contact" }, avatar(m.contact.first_name, m.from ? m.from.id : 0), el("div", {}, el("b", {}, m.contact.first_name), el("div", {}, m.contact.phone_number))));
    const text = group.map((g) => g.text || g.caption || "").filter(Boolean).join("\n");
    if (text) bubble.append(...linkify(text));
    bubble.append(el("span", { class: "stamp" }, (m.edit_date ? t("edited") + " " : "") + hhmm(m.date)));
    const node = el("div", { class: "msg" + (own ? " own" : ""), "data-message": m.message_id, "data-side": m.side }, bubble);
    const kb = m.side === "bot" && m.reply_markup && m.reply_markup.inline_keyboard;
    if (kb) node.classList.add("has-kb");
    if (kb) node.append(el("div", { class: "ikb" }, kb.map((row) => el("div", { class: "krow" }, row.map((b) => inlineButton(c, m, b))))));
    box.append(node);
  }
  renderReplyKeyboard(c, log);
  renderPinned(c, log);
  // Re-rendering must not move what the reader is looking at.
  if (stick || atBottom) scrollDown(true); else box.scrollTop = keep;
}
function renderPinned(c, log) {
  const bar = $("#pinned");
  const m = log.find((x) => x.message_id === S.pinned[c.id]);
  bar.hidden = !m;
  if (!m) return;
  bar.replaceChildren(el("b", {}, t("pinnedMessage")), " ", preview(m));
  bar.onclick = () => { const n = document.querySelector(`[data-message="${m.message_id}"]`); if (n) n.scrollIntoView({ block: "center" }); };
}
function scrollDown() { const box = $("#messages"); box.scrollTop = box.scrollHeight; }

function inlineButton(c, m, b) {
  if (b.url) return el("button", { type: "button", class: "url", onclick: () => { if (!deepLink(b.url)) window.open(b.url, "_blank", "noopener"); } }, b.text);
  return el("button", { type: "button", "data-data": b.callback_data || "", onclick: async (e) => {
    const btn = e.currentTarget;
    btn.classList.add("busy");
    try {
      const a = await api("/api/press", { chat: c.id, user: actorOf(c), message_id: m.message_id, data: b.callback_data, label: b.text });
      if (a.text) { if (a.show_alert) alertBox(a.text); else toast(a.text); }
    } catch (err) { toast(err.message, true); }
    btn.classList.remove("busy");
  } }, b.text);
}

// The reply keyboard in force: the latest bot message that set or removed one.
function renderReplyKeyboard(c, log) {
  const area = $("#reply-keyboard");
  let kb = null;
  for (const m of log) {
    if (m.side !== "bot" || !m.markup) continue;
    if (m.markup.keyboard) kb = { m, markup: m.markup };
    if (m.markup.remove_keyboard) kb = null;
  }
  if (!kb || S.hiddenKeyboards[`${c.id}:${kb.m.message_id}`]) { area.hidden = true; return; }
  area.hidden = false;
  area.replaceChildren(...kb.markup.keyboard.map((row) => el("div", { class: "krow" }, row.map((b) => {
    const label = typeof b === "string" ? b : b.text;
    const contact = typeof b === "object" && b.request_contact;
    return el("button", { type: "button", class: contact ? "contact-btn" : "", onclick: async () => {
      if (kb.markup.one_time_keyboard) S.hiddenKeyboards[`${c.id}:${kb.m.message_id}`] = true;
      try { if (contact) await api("/api/contact", { user: actorOf(c) }); else await sendText(label); }
      catch (err) { toast(err.message, true); }
    } }, contact ? "📱 " + label : label);
  }))));
}

async function sendText(text) {
  const c = chatById(S.current);
  await api("/api/send", { chat: c.id, user: actorOf(c), text });
}

// ---------------------------------------------------------------- photos
async function sendPhotos(blobs) {
  const c = chatById(S.current);
  const caption = $("#text").value.trim();
  try {
    const uploads = [];
    for (const b of blobs.slice(0, 10)) {
      const r = await fetch("/api/upload", { method: "POST", body: b });
      const j = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(errorText(j) || r.statusText);
      uploads.push(j.upload);
    }
    await api("/api/photos", { chat: c.id, user: actorOf(c), uploads, caption: caption || null });
    $("#text").value = "";
    saveDraft();
  } catch (err) { toast(err.message, true); }
}
function samplePhoto() {
  // Drawn here, so it works offline: a wet ceiling corner with a drip.
  const cv = document.createElement("canvas");
  cv.width = 960; cv.height = 720;
  const g = cv.getContext("2d");
  const wall = g.createLinearGradient(0, 0, 0, 720);
  wall.addColorStop(0, "#efe9df"); wall.addColorStop(1, "#d9d1c3");
  g.fillStyle = wall; g.fillRect(0, 0, 960, 720);
  g.fillStyle = "#c8c0b0"; g.fillRect(0, 0, 960, 150);
  g.fillStyle = "rgba(120,100,60,0.35)";
  g.beginPath(); g.ellipse(520, 150, 230, 90, 0, 0, Math.PI * 2); g.fill();
  g.fillStyle = "rgba(90,70,40,0.35)";
  g.beginPath(); g.ellipse(540, 160, 120, 45, 0.2, 0, Math.PI * 2); g.fill();
  g.fillStyle = "#8a9ba8"; g.fillRect(80, 120, 800, 28);
  g.fillStyle = "#6d7f8c"; g.fillRect(440, 110, 40, 48);
  g.fillStyle = "#4a90d9";
  for (const [x, y, r] of [[560, 230, 12], [562, 300, 9], [558, 380, 11]]) { g.beginPath(); g.arc(x, y, r, 0, Math.PI * 2); g.fill(); g.beginPath(); g.moveTo(x - r, y); g.lineTo(x, y - r * 2.2); g.lineTo(x + r, y); g.fill(); }
  g.fillStyle = "rgba(74,144,217,0.35)"; g.beginPath(); g.ellipse(560, 650, 200, 30, 0, 0, Math.PI * 2); g.fill();
  g.fillStyle = "#555"; g.font = "28px sans-serif"; g.fillText("propdesk demo · 示例照片", 30, 700);
  return new Promise((res) => cv.toBlob(res, "image/jpeg", 0.85));
}

// ---------------------------------------------------------------- trace
async function refreshTrace() {
  if (!S.trace) return;
  let tr;
  try { tr = await api("/api/trace"); } catch (_) { return; }
  const body = $("#trace-body");
  body.replaceChildren();
  if (!tr.label) { body.append(el("p", { class: "hint" }, t("traceEmpty"))); return; }
  body.append(el("h4", {}, t("lastAction")), el("div", { class: "action" }, tr.label));
  body.append(el("h4", {}, `${t("inbox")} (${tr.inbox.length})`));
  if (!tr.inbox.length) body.append(el("div", { class: "hint" }, t("none")));
  for (const r of tr.inbox) body.append(el("div", { class: "row-card", "data-trace": "inbox" },
    el("b", {}, `#${r.update_id} ${r.kind}`), " ", el("span", { class: "k" }, `chat ${r.chat_id}`), el("br"),
    el("span", { class: r.processed ? "st-ok" : "st-pending" }, r.processed ? `${t("processed")} +${r.processed_after_ms} ms` : t("waiting")),
    r.attempts > 1 ? ` · ${r.attempts} attempts` : "", r.last_error ? el("div", { class: "st-err" }, r.last_error) : null));
  body.append(el("h4", {}, `${t("outbox")} (${tr.outbox.length})`));
  if (!tr.outbox.length) body.append(el("div", { class: "hint" }, t("none")));
  for (const r of tr.outbox) body.append(el("div", { class: "row-card", "data-trace": "outbox" },
    el("span", { class: `lane l${r.lane[0]}` }, `lane ${r.lane}`), " ", el("b", {}, r.method || "?"), " ", el("span", { class: "k" }, `→ ${chatName(r.chat_id)}`), el("br"),
    el("span", { class: `st-${r.status}` }, r.status), r.sent_after_ms !== null ? ` +${r.sent_after_ms} ms` : "", r.message_id ? ` · message ${r.message_id}` : "",
    r.last_error ? el("div", { class: "st-err" }, r.last_error) : null));
  body.append(el("h4", {}, `${t("requests")} (${tr.requests.length})`));
  if (!tr.requests.length) body.append(el("div", { class: "hint" }, t("none")));
  for (const r of tr.requests) body.append(el("div", { class: "row-card", "data-trace": "request" },
    el("details", {}, el("summary", {}, el("b", {}, r.method), " ", el("span", { class: "k" }, r.chat_id !== null && r.chat_id !== undefined ? `→ ${chatName(Number(r.chat_id))} ` : ""), el("span", { class: "k" }, `+${r.after_ms} ms `), el("span", { class: r.outcome === "ok" ? "st-ok" : "st-err" }, r.outcome)),
      el("pre", {}, JSON.stringify(r.params, null, 1)))));
}
function chatName(id) { const c = chatById(id); return c ? c.title : id; }

// ---------------------------------------------------------------- refresh
async function refreshChat(id) {
  try { const j = await api(`/api/chat/${id}`); S.logs[id] = j.messages; S.pinned[id] = j.pinned; } catch (_) { /* the next change retries */ }
}
let pending = null;
async function refreshAll() {
  await Promise.all(S.chats.map((c) => refreshChat(c.id)));
  const log = visible(S.logs[S.current]);
  if (log.length) { S.seen[S.current] = log[log.length - 1].message_id; store.set("seen", S.seen); }
  renderSidebar();
  renderMessages(false);
  refreshTrace();
}
function scheduleRefresh() { if (pending) return; pending = setTimeout(() => { pending = null; refreshAll(); }, 60); }

function renderAll() {
  document.documentElement.lang = S.ui;
  for (const n of document.querySelectorAll("[data-t]")) n.textContent = t(n.dataset.t);
  for (const b of document.querySelectorAll("[data-ui-lang]")) b.classList.toggle("on", b.dataset.uiLang === S.ui);
  $("#text").placeholder = t("placeholder");
  $("#estate").textContent = t("estate", S.setup.estate);
  $("#app").classList.toggle("with-trace", S.trace);
  $("#trace").hidden = !S.trace;
  renderSidebar();
  renderHeader();
  renderMessages(true);
  $("#text").value = store.get(`draft.${S.current}`, "");
}
function saveDraft() { store.set(`draft.${S.current}`, $("#text").value); }

// ---------------------------------------------------------------- wiring
function wire() {
  $("#composer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("#text").value;
    if (!text.trim()) return;
    $("#text").value = "";
    saveDraft();
    try { await sendText(text); } catch (err) { toast(err.message, true); $("#text").value = text; }
  });
  $("#text").addEventListener("input", saveDraft);
  $("#attach").addEventListener("click", () => { $("#attach-menu").hidden = !$("#attach-menu").hidden; });
  $("#pick-photo").addEventListener("click", () => { $("#attach-menu").hidden = true; $("#photo-input").click(); });
  $("#photo-input").addEventListener("change", async (e) => { const files = [...e.target.files]; e.target.value = ""; if (files.length) await sendPhotos(files); });
  $("#sample-photo").addEventListener("click", async () => { $("#attach-menu").hidden = true; await sendPhotos([await samplePhoto()]); });
  $("#actor").addEventListener("change", (e) => { S.actorInGroup = Number(e.target.value); store.set("groupActor", S.actorInGroup); renderMessages(false); });
  $("#unit").addEventListener("change", async (e) => {
    const c = chatById(S.current);
    try { await api("/api/unit", { user: c.id, unit: e.target.value }); c.persona.default_unit = e.target.value; renderHeader(); } catch (err) { toast(err.message, true); }
  });
  for (const b of document.querySelectorAll("#lang-box button")) b.addEventListener("click", async () => {
    const c = chatById(S.current);
    try { await api("/api/language", { user: c.id, lang: b.dataset.lang }); c.persona.lang = b.dataset.lang; renderHeader(); } catch (err) { toast(err.message, true); }
  });
  for (const b of document.querySelectorAll("[data-ui-lang]")) b.addEventListener("click", () => { S.ui = b.dataset.uiLang; store.set("ui", S.ui); renderAll(); });
  const toggleTrace = () => { S.trace = !S.trace; store.set("trace", S.trace); renderAll(); refreshTrace(); };
  $("#trace-toggle").addEventListener("click", toggleTrace);
  $("#trace-close").addEventListener("click", toggleTrace);
  $("#back").addEventListener("click", () => { $("#app").classList.add("show-list"); });
  $("#alert-ok").addEventListener("click", () => { $("#alert").hidden = true; });
  document.addEventListener("click", (e) => { if (!e.target.closest(".attach-wrap")) $("#attach-menu").hidden = true; });
}

async function main() {
  S.setup = await api("/api/setup");
  buildChats();
  wire();
  // Phones open on the chat list unless a chat was open before the reload.
  if (window.innerWidth > 760 || store.get("chat", null) !== null) $("#app").classList.remove("show-list");
  renderAll();
  await refreshAll();
  scrollDown(true);
  const events = new EventSource("/api/events");
  events.addEventListener("change", scheduleRefresh);
  events.onopen = scheduleRefresh;
  document.body.dataset.ready = "1";
}
main().catch((e) => { document.body.textContent = "propdesk demo: " + e.message; });
