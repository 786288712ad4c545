// The desk's own script: no inline code anywhere (the pages' CSP forbids it).
"use strict";
document.addEventListener("click", (event) => {
  const print = event.target.closest("[data-print]");
  if (print) {
    event.preventDefault();
    window.print();
  }
});

// Drafts: a half-filled form is kept on this computer (localStorage) while it is typed,
// offered again when the form is opened, and forgotten once it is sent (the next page says
// it was recorded) or at sign-out. Hidden fields (keys, the CSRF token) are never kept.
const DRAFT_PREFIX = "franoi.desk.draft.";
const PENDING = "franoi.desk.draft.pending";

function draftValues(form) {
  const values = [];
  for (const element of form.elements) {
    if (!element.name || element.type === "hidden" || element.type === "submit") continue;
    if (element.type === "checkbox" || element.type === "radio") {
      if (element.checked) values.push([element.name, element.value]);
    } else if (element.value !== "") {
      values.push([element.name, element.value]);
    }
  }
  return values;
}

function restoreDraft(form, values) {
  const named = new Map();
  for (const [name, value] of values) {
    if (!named.has(name)) named.set(name, []);
    named.get(name).push(value);
  }
  for (const element of form.elements) {
    if (!element.name || element.type === "hidden" || !named.has(element.name)) continue;
    const wanted = named.get(element.name);
    if (element.type === "checkbox" || element.type === "radio") {
      element.checked = wanted.includes(element.value);
    } else {
      element.value = wanted[0];
    }
  }
}

function readDraft(key) {
  try { return JSON.parse(localStorage.getItem(DRAFT_PREFIX + key) || "null"); } catch (_) { return null; }
}

function forgetDraft(key) {
  try { localStorage.removeItem(DRAFT_PREFIX + key); } catch (_) { /* nothing kept */ }
}

function keepDrafts(form) {
  const key = form.dataset.draft;
  const notice = document.querySelector(`[data-draft-notice="${CSS.escape(key)}"]`);
  const saved = readDraft(key);
  if (saved && form.dataset.draftRestore === "true" && saved.values.length) {
    restoreDraft(form, saved.values);
    if (notice) {
      notice.hidden = false;
      const when = notice.querySelector("[data-draft-when]");
      // As the pages write dates: 6/12/2026 in Italian, 6 Dec 2026 in English.
      const locale = document.documentElement.lang === "en" ? "en-GB" : "it-IT";
      const options = { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
      if (when) when.textContent = new Date(saved.at).toLocaleString(locale, options);
    }
  }
  let timer = null;
  const save = () => {
    timer = null;
    const values = draftValues(form);
    try {
      if (values.length) localStorage.setItem(DRAFT_PREFIX + key, JSON.stringify({ at: Date.now(), values }));
      else forgetDraft(key);
    } catch (_) { /* storage full or refused: the form still works */ }
  };
  form.addEventListener("input", () => { if (!timer) timer = setTimeout(save, 400); });
  form.addEventListener("change", () => { if (!timer) timer = setTimeout(save, 400); });
  form.addEventListener("submit", () => {
    if (timer) { clearTimeout(timer); save(); }
    try { sessionStorage.setItem(PENDING, key); } catch (_) { /* ignore */ }
  });
  const discard = notice?.querySelector("[data-draft-discard]");
  discard?.addEventListener("click", () => {
    forgetDraft(key);
    form.reset();
    for (const element of form.elements) {
      if (element.type !== "hidden" && element.type !== "submit" && element.type !== "checkbox") element.value = "";
    }
    notice.hidden = true;
    form.querySelector("input:not([type=hidden]), select, textarea")?.focus();
  });
}

function settleDrafts() {
  let pending = null;
  try { pending = sessionStorage.getItem(PENDING); sessionStorage.removeItem(PENDING); } catch (_) { /* ignore */ }
  if (pending && document.querySelector("[data-draft-sent]")) forgetDraft(pending);
  // Signing out forgets every draft of this computer (the next person at it sees none).
  document.querySelector("form[action='/signout']")?.addEventListener("submit", () => {
    try {
      for (const name of Object.keys(localStorage)) if (name.startsWith(DRAFT_PREFIX)) localStorage.removeItem(name);
    } catch (_) { /* ignore */ }
  });
  for (const form of document.querySelectorAll("form[data-draft]")) keepDrafts(form);
}

settleDrafts();
