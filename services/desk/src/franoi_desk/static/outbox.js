// Working with the connection down: the outbox on this device (see store.js).
// A form of the desk (form[data-outbox-title]) is sent as usual when the desk answers;
// when it does not (offline, or no answer within PROBE_TIMEOUT_MS), the form becomes an
// entry of the outbox, with the client-chosen id the services accept (an identical retry
// answers the first result). Entries are sent one at a time, in the order they were
// recorded, to the form's own address asking for JSON (X-Desk-Outbox), on reconnection,
// when the page becomes visible, on "Sync now" and with exponential backoff while the desk
// answers 5xx or nothing — never waiting for a reload. The desk answers sent, refused (the
// reason in the worker's language: the entry stays, editable and re-sendable) or conflict
// (the record changed meanwhile: the fields side by side for the worker to choose). Nothing
// is discarded silently. Every string comes from the page (#desk-strings).
"use strict";
(() => {
  const STRINGS = JSON.parse(document.getElementById("desk-strings")?.textContent || "{}");
  const SIGNED_IN = document.querySelector('meta[name="csrf"]') !== null;
  const LOCALE = document.documentElement.lang === "en" ? "en-GB" : "it-IT";
  const PROBE_TIMEOUT_MS = 3000;
  const BACKOFF_FIRST_MS = 1000;
  const BACKOFF_MAX_MS = 60000;
  const SENT_KEPT_MS = 24 * 3600 * 1000;  // a sent entry's line (no values) is kept for a day
  const UNSENT = ["draft", "waiting", "sending", "refused", "conflict"];
  const OFFLINE_PERSONS = "offlinePersons";
  const LAST_SYNC = "lastSync";
  const REFRESH_MS = 200;
  const PENDING_POST = "franoi.desk.outbox.pending";

  function say(key, values = {}) {
    let text = STRINGS[key] || key;
    for (const [name, value] of Object.entries(values)) text = text.replace(`{${name}}`, value);
    return text;
  }

  function when(time) {
    return new Date(time).toLocaleString(LOCALE, {
      day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  }

  function element(tag, attributes = {}, ...children) {
    const made = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") made.textContent = value;
      else made.setAttribute(name, value);
    }
    for (const child of children) if (child) made.append(child);
    return made;
  }

  function csrf() {
    return document.querySelector('meta[name="csrf"]')?.content || "";
  }

  // --- the service worker ---------------------------------------------------------------

  if (SIGNED_IN && "serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").then(async () => {
      const ready = await navigator.serviceWorker.ready;
      ready.active?.postMessage({ type: "keep-shell" });
    }).catch(() => { /* no offline use on this browser: the desk works online */ });
  }

  // --- recording into the outbox ----------------------------------------------------------

  function entryOf(form, submitter) {
    const fields = [];
    for (const [name, value] of new FormData(form, submitter)) {
      if (typeof value === "string") fields.push([name, value]);
    }
    const clientId = form.querySelector("[data-client-id]")?.value;
    return {
      id: form.dataset.outboxEntry || clientId || crypto.randomUUID(),
      seq: Date.now() + (performance.now() % 1),
      action: form.getAttribute("action"),
      title: form.dataset.outboxTitle,
      page: location.pathname + location.search,
      fields,
      state: "waiting",
      attempts: 0,
      notBefore: 0,
      recordedAt: Date.now(),
    };
  }

  async function queue(entry) {
    await FranoiStore.put(entry);
    location.assign(`/outbox?queued=${encodeURIComponent(entry.id)}`);
  }

  function interceptForms() {
    for (const form of document.querySelectorAll("form[data-outbox-title]")) {
      // A form's client-chosen id is new at each opening: a page kept on the device
      // must not give two records one id.
      const clientId = form.querySelector("[data-client-id]");
      if (clientId && crypto.randomUUID) clientId.value = crypto.randomUUID();
      form.addEventListener("submit", (event) => {
        const entry = entryOf(form, event.submitter);
        if (form.dataset.outboxEntry || !navigator.onLine) {
          // offline, or a corrected entry: into the outbox, sent from there
          event.preventDefault();
          queue(entry);
          return;
        }
        // Sent as usual; should the desk not answer, the service worker brings the browser
        // to the outbox page, which queues this (see pendingPost).
        try { sessionStorage.setItem(PENDING_POST, JSON.stringify(entry)); } catch (_) { /* no storage */ }
      });
    }
  }

  // A form sent while the browser thought it was online, which never reached the desk.
  async function pendingPost() {
    let pending = null;
    try {
      pending = JSON.parse(sessionStorage.getItem(PENDING_POST) || "null");
      sessionStorage.removeItem(PENDING_POST);
    } catch (_) { /* no storage */ }
    if (!pending || !new URLSearchParams(location.search).has("unsent")) return null;
    await FranoiStore.put(pending);
    return pending.id;
  }

  // A refused entry opened again to be corrected: its values, its reason, the same id.
  async function editEntry() {
    const match = location.hash.match(/^#outbox=([\w-]+)$/);
    const form = document.querySelector("form[data-outbox-title]");
    if (!match || !form) return;
    const entry = await FranoiStore.get(match[1]);
    if (!entry || entry.state === "sent") return;
    form.dataset.outboxEntry = entry.id;
    const named = new Map();
    for (const [name, value] of entry.fields) {
      if (!named.has(name)) named.set(name, []);
      named.get(name).push(value);
    }
    for (const input of form.elements) {
      if (!input.name || !named.has(input.name) || input.name === "csrf") continue;
      const wanted = named.get(input.name);
      if (input.type === "checkbox" || input.type === "radio") input.checked = wanted.includes(input.value);
      else input.value = wanted[0];
    }
    const box = document.querySelector("[data-outbox-editing]");
    if (box) {
      box.hidden = false;
      box.querySelector("[data-outbox-reason]").textContent = entry.reason || "";
      const list = box.querySelector("[data-outbox-fields]");
      for (const [label, message] of Object.entries(entry.labelled || {})) {
        list.append(element("li", { text: `${label}: ${message}` }));
      }
    }
    entry.state = "draft";
    await FranoiStore.put(entry);
    changed();
  }

  // --- sending -------------------------------------------------------------------------

  let timer = null;
  let signedOut = false;

  function backoff(attempts) {
    const base = Math.min(BACKOFF_FIRST_MS * 2 ** (attempts - 1), BACKOFF_MAX_MS);
    return base * (0.8 + Math.random() * 0.4);
  }

  async function send(entry) {
    const body = new URLSearchParams();
    for (const [name, value] of entry.fields) body.append(name, name === "csrf" ? csrf() : value);
    let answer;
    try {
      answer = await fetch(entry.action, {
        method: "POST",
        body,
        headers: { "X-Desk-Outbox": entry.id, Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (_) {
      return { state: "retry", unreachable: true };
    }
    let said = {};
    try { said = await answer.json(); } catch (_) { /* not the desk's JSON */ }
    if (answer.ok && said.state === "sent") return said;
    if (answer.status === 401 || said.state === "signed_out" || answer.redirected) return { state: "signed_out" };
    if (answer.status === 412 && said.state === "conflict") return said;
    if (answer.status >= 500 || said.state === "waiting" || !said.state) return { state: "retry" };
    return { state: "refused", reason: said.reason || answer.statusText, labelled: said.labelled || {} };
  }

  // The waiting entries are read once per round (not once per entry: a long queue would
  // cost its square), each result written back at once, the view refreshed at most every
  // REFRESH_MS; a new round picks up what was recorded meanwhile.
  async function drain(force) {
    for (;;) {
      const pending = (await FranoiStore.all()).filter((e) => e.state === "waiting" || e.state === "sending");
      if (!pending.length) return;
      for (const entry of pending) {
        // Reconnecting, "Sync now" or the page coming back skip a wait made while the desk
        // was unreachable, never one the desk asked for (a 5xx answer): no retry storm.
        const wait = entry.notBefore - Date.now();
        if (wait > 0 && !(force && entry.unreachable)) {
          schedule(wait);
          return;
        }
        force = false;
        const result = await send(entry);
        entry.state = "waiting";
        if (result.state === "retry") {
          entry.attempts += 1;
          entry.notBefore = Date.now() + backoff(entry.attempts);
          entry.unreachable = Boolean(result.unreachable);
          await FranoiStore.put(entry);
          refresh();
          schedule(entry.notBefore - Date.now());
          return;  // in order: nothing behind it goes first
        }
        if (result.state === "signed_out") {
          signedOut = true;
          refresh();
          return;
        }
        entry.attempts = 0;
        entry.notBefore = 0;
        entry.unreachable = false;
        if (result.state === "sent") {
          entry.state = "sent";
          entry.sentAt = Date.now();
          entry.location = result.location;
          entry.fields = [];  // the values were the desk's to keep, not this device's
          delete entry.conflict;
          delete entry.reason;
          delete entry.labelled;
        } else if (result.state === "conflict") {
          entry.state = "conflict";
          entry.conflict = { version: result.version, fields: result.fields };
        } else {
          entry.state = "refused";
          entry.reason = result.reason;
          entry.labelled = result.labelled;
        }
        await FranoiStore.put(entry);
        lastSync = Date.now();
        refresh();
      }
      await FranoiStore.setMeta(LAST_SYNC, lastSync);
    }
  }

  let refreshing = null;
  let lastSync = 0;

  function refresh() {
    if (!refreshing) refreshing = setTimeout(() => { refreshing = null; changed(); }, REFRESH_MS);
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(() => sync(false), Math.max(ms, 50));
  }

  async function sync(force) {
    if (!SIGNED_IN) return;
    clearTimeout(timer);
    const work = () => drain(force).catch(() => schedule(BACKOFF_FIRST_MS));
    // One sender at a time, whatever the number of the desk's tabs.
    if (navigator.locks) await navigator.locks.request("franoi-outbox", { ifAvailable: true }, (lock) => lock && work());
    else await work();
  }

  // --- what the worker sees ----------------------------------------------------------------

  async function changed() {
    let entries = await FranoiStore.all().catch(() => []);
    const old = entries.filter((e) => e.state === "sent" && Date.now() - e.sentAt > SENT_KEPT_MS);
    for (const entry of old) await FranoiStore.remove(entry.id).catch(() => null);
    if (old.length) entries = entries.filter((e) => !old.includes(e));
    const unsent = entries.filter((e) => UNSENT.includes(e.state));
    unsentCount = unsent.length;
    const count = document.querySelector("[data-outbox-count]");
    if (count) {
      count.textContent = say("outbox.waiting_count", { n: unsent.length });
      count.dataset.count = unsent.length;
    }
    const last = document.querySelector("[data-outbox-last]");
    if (last) {
      const at = lastSync || await FranoiStore.meta(LAST_SYNC).catch(() => null);
      last.textContent = at ? say("outbox.last_sync", { when: when(at) }) : say("outbox.never");
      if (!navigator.onLine) last.textContent += ` · ${say("outbox.offline")}`;
    }
    const signedOutNotice = document.querySelector("[data-outbox-signed-out]");
    if (signedOutNotice) signedOutNotice.hidden = !signedOut;
    renderList(entries);
  }

  function renderList(entries) {
    const list = document.querySelector("[data-outbox-list]");
    if (!list) return;
    document.querySelector("[data-outbox-empty]").hidden = entries.length > 0;
    list.replaceChildren(...entries.map(entryView));
  }

  function entryView(entry) {
    const state = say(`outbox.state.${entry.state}`);
    const item = element(
      "li",
      { class: `entry state-${entry.state}`, "data-entry": entry.id, "data-state": entry.state },
      element("strong", { text: entry.title || entry.action }),
      " · ",
      element("span", { class: "state", text: state }),
      " · ",
      element("span", { class: "muted", text: when(entry.sentAt || entry.recordedAt) }),
    );
    if (entry.state === "sent" && entry.location) {
      item.append(" · ", element("a", { href: entry.location, text: say("outbox.open") }));
    }
    if (entry.note) item.append(element("p", { class: "muted", text: entry.note }));
    if (entry.state === "waiting" && entry.attempts > 0) {
      item.append(element("p", { class: "muted", "data-next-try": "", text: say("outbox.next_try", { when: when(entry.notBefore) }) }));
    }
    if (entry.state === "refused" || entry.state === "draft") {
      const reason = element("div", { class: "problem", role: "note" }, element("p", { text: entry.reason || "" }));
      const fields = element("ul");
      for (const [label, message] of Object.entries(entry.labelled || {})) fields.append(element("li", { text: `${label}: ${message}` }));
      reason.append(fields);
      item.append(reason, element("a", { class: "button", href: `${entry.page}#outbox=${entry.id}`, text: say("outbox.fix") }));
      const again = element("button", { type: "button", class: "secondary", text: say("outbox.resend") });
      again.addEventListener("click", () => resend(entry.id));
      item.append(" ", again);
    }
    if (entry.state === "conflict") item.append(conflictView(entry));
    return item;
  }

  function conflictView(entry) {
    const form = element("form", { class: "conflict", "data-conflict": entry.id });
    form.append(element("p", { text: say("outbox.conflict_intro") }));
    const head = element("tr", {},
      element("th", { scope: "col", text: say("outbox.conflict_field") }),
      element("th", { scope: "col", text: say("outbox.conflict_mine") }),
      element("th", { scope: "col", text: say("outbox.conflict_theirs") }));
    const body = element("tbody");
    for (const field of entry.conflict.fields) {
      const differ = field.mine !== field.theirs;
      const cell = (side, value) => {
        const id = `c-${entry.id}-${field.name}-${side}`;
        const choice = element("input", { type: "radio", id, name: field.name, value: side });
        if (side === "mine" || !differ) choice.checked = side === "mine";
        return element("td", {}, choice, " ", element("label", { for: id, text: value || "—" }));
      };
      body.append(element("tr", { class: differ ? "differs" : "" },
        element("th", { scope: "row", text: field.label }), cell("mine", field.mine), cell("theirs", field.theirs)));
    }
    form.append(element("table", { class: "side-by-side" }, element("thead", {}, head), body));
    form.append(element("button", { type: "submit", text: say("outbox.conflict_apply") }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const choices = {};
      for (const field of entry.conflict.fields) choices[field.name] = form.elements[field.name].value || "mine";
      resolve(entry.id, choices);
    });
    return form;
  }

  // The worker's choice: the fields kept "theirs" are left out of the change, which is sent
  // again on the version it now knows; when every field keeps the record's value there is
  // nothing left to send.
  async function resolve(id, choices) {
    const entry = await FranoiStore.get(id);
    if (!entry || entry.state !== "conflict") return;
    const theirs = new Set(Object.keys(choices).filter((name) => choices[name] === "theirs"));
    const mine = Object.keys(choices).filter((name) => !theirs.has(name));
    if (!mine.length) {
      entry.state = "sent";
      entry.sentAt = Date.now();
      entry.note = say("outbox.kept_theirs");
      entry.fields = [];
    } else {
      entry.fields = entry.fields
        .filter(([name]) => !theirs.has(name))
        .map(([name, value]) => [name, name === "base_version" ? entry.conflict.version : value]);
      entry.state = "waiting";
      entry.attempts = 0;
      entry.notBefore = 0;
    }
    delete entry.conflict;
    await FranoiStore.put(entry);
    await changed();
    sync(true);
  }

  async function resend(id) {
    const entry = await FranoiStore.get(id);
    if (!entry) return;
    entry.state = "waiting";
    entry.attempts = 0;
    entry.notBefore = 0;
    entry.seq = Date.now();
    await FranoiStore.put(entry);
    await changed();
    sync(true);
  }

  // --- persons kept available offline ------------------------------------------------------

  async function offlinePerson() {
    const box = document.querySelector("[data-offline-person]");
    if (!box || !("serviceWorker" in navigator)) return;
    box.hidden = false;  // only where a service worker can keep the pages
    const id = box.dataset.offlinePerson;
    const button = box.querySelector("[data-offline-toggle]");
    const state = box.querySelector("[data-offline-state]");
    const show = (at) => {
      button.setAttribute("aria-pressed", at ? "true" : "false");
      button.textContent = at ? say("offline.forget") : say("offline.keep");
      state.textContent = at ? say("offline.kept", { when: when(at) }) : "";
      box.dataset.kept = at ? "true" : "false";
    };
    const kept = (await FranoiStore.meta(OFFLINE_PERSONS).catch(() => null)) || {};
    show(kept[id]);
    navigator.serviceWorker.addEventListener("message", (event) => {
      const message = event.data || {};
      if (message.id !== id) return;
      if (message.type === "person-kept") {
        if (message.failed) state.textContent = say("offline.failed");
        else show(message.at);
      } else if (message.type === "person-forgotten") {
        show(null);
      }
    });
    button.addEventListener("click", async () => {
      const worker = (await navigator.serviceWorker.ready).active;
      const keep = button.getAttribute("aria-pressed") !== "true";
      worker.postMessage({ type: keep ? "keep-person" : "forget-person", id });
    });
  }

  // --- signing out: warn about what is unsent, then wipe every store of this device ---------
  // The form is sent at once (the desk ends the session whatever this page does); the wipe
  // starts before the page goes, and is made again on the next page, signed out, in case
  // the browser cut it short.
  const WIPE = "franoi.desk.wipe";
  let unsentCount = 0;

  function wipe() {
    const done = [FranoiStore.wipe()];
    if (window.caches) done.push(caches.keys().then((names) => Promise.all(names.map((n) => caches.delete(n)))));
    try { localStorage.clear(); sessionStorage.clear(); sessionStorage.setItem(WIPE, "1"); } catch (_) { /* nothing kept */ }
    return Promise.all(done).catch(() => null);
  }

  function signOut() {
    if (!SIGNED_IN) {
      let asked = false;
      try { asked = sessionStorage.getItem(WIPE) === "1"; } catch (_) { /* no storage */ }
      if (asked) wipe().then(() => { try { sessionStorage.removeItem(WIPE); } catch (_) { /* gone */ } });
      return;
    }
    const form = document.querySelector("form[data-signout]");
    form?.addEventListener("submit", (event) => {
      if (unsentCount && !window.confirm(say("outbox.signout_unsent", { n: unsentCount }))) {
        event.preventDefault();
        return;
      }
      wipe();
    });
  }

  // --- the page -----------------------------------------------------------------------------

  async function start() {
    interceptForms();
    signOut();
    if (!SIGNED_IN) return;
    const params = new URLSearchParams(location.search);
    const unsent = await pendingPost();
    if (document.querySelector("[data-outbox-list]")) {
      const queued = document.querySelector("[data-outbox-queued]");
      if (queued && (params.get("queued") || unsent)) {
        queued.hidden = false;
        queued.setAttribute("data-draft-sent", "");  // the form's draft is in the outbox now
      }
      const unavailable = document.querySelector("[data-outbox-unavailable]");
      if (unavailable) unavailable.hidden = location.pathname === "/outbox";
    }
    await editEntry();
    offlinePerson();
    document.querySelector("[data-sync-now]")?.addEventListener("click", () => sync(true));
    window.addEventListener("online", () => { signedOut = false; changed(); sync(true); });
    window.addEventListener("offline", () => changed());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") sync(true);
    });
    changed();
    sync(false);
  }

  start();
})();
