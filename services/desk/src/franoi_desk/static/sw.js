// The desk's service worker, written by hand (no library): it keeps the desk's shell and
// forms on this device so that a worker can go on recording with the connection down.
// Pages: network first, the kept copy when the network fails or is slower than
// NAVIGATION_TIMEOUT_MS. A page is kept only when the desk says it may be (the
// X-Desk-Offline header: "form" for pages without personal data, "person:<id>" for a
// person's pages, kept only while the worker keeps that person available offline).
// VERSION is set by the desk when it serves this script (a digest of its static files): a
// desk with other files is a new service worker, which drops the old cache.
"use strict";
importScripts("/static/store.js");

const VERSION = "dev";
const CACHE = `franoi-desk-${VERSION}`;
const SHELL = [
  "/static/desk.css",
  "/static/desk.js",
  "/static/store.js",
  "/static/outbox.js",
  "/static/htmx-2.0.11.min.js",
  "/static/favicon.svg",
];
const PAGES = ["/outbox", "/persons/new", "/record"];
const NAVIGATION_TIMEOUT_MS = 3000;
const OFFLINE_PERSONS = "offlinePersons";

// The shell and the forms without personal data: at install, and again from a page after
// a sign-out wiped them.
async function keepShell() {
  const cache = await caches.open(CACHE);
  for (const file of SHELL) if (!(await cache.match(file))) await cache.add(file);
  for (const page of PAGES) if (!(await cache.match(page))) await keep(cache, page).catch(() => null);
}

self.addEventListener("install", (event) => {
  event.waitUntil(keepShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && request.mode === "navigate") {
    // A form sent to the desk. When it does not reach it, the browser goes to the outbox
    // page, which records the form (the page kept it aside before sending it).
    event.respondWith(fetch(request).catch(() => Response.redirect("/outbox?unsent=1", 303)));
    return;
  }
  if (request.method !== "GET") return;  // the outbox's own sending: straight to the desk
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(url.pathname).then((kept) => kept || fetch(request)));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, url.pathname + url.search));
  }
});

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (response) => {
    if (await mayKeep(response)) await cache.put(key, response.clone());
    return response;
  });
  const slow = new Promise((resolve) => setTimeout(() => resolve(null), NAVIGATION_TIMEOUT_MS));
  try {
    const first = await Promise.race([network, slow]);
    if (first) return first;
    const kept = await cache.match(key);  // slower than the timeout: the kept copy if any
    return kept || await network;
  } catch (_) {
    network.catch(() => null);
    // No network: the kept copy, else the outbox page (it says the page is not kept).
    return (await cache.match(key)) || (await cache.match("/outbox")) || Response.error();
  }
}

async function mayKeep(response) {
  if (!response.ok || response.redirected || response.type !== "basic") return false;
  const kind = response.headers.get("X-Desk-Offline") || "";
  if (kind === "form") return true;
  if (!kind.startsWith("person:")) return false;
  const kept = (await FranoiStore.meta(OFFLINE_PERSONS)) || {};
  return Object.hasOwn(kept, kind.slice("person:".length));
}

async function keep(cache, url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!(await mayKeep(response))) throw new Error(`${url} may not be kept`);
  await cache.put(url, response.clone());
  return response;
}

// A person kept available offline: their file, the list of what can be recorded for them
// and each of those forms (their household is on their file).
async function keepPerson(id) {
  const kept = (await FranoiStore.meta(OFFLINE_PERSONS)) || {};
  kept[id] = Date.now();
  await FranoiStore.setMeta(OFFLINE_PERSONS, kept);
  const cache = await caches.open(CACHE);
  const forms = new Set();
  for (const url of [`/persons/${id}`, `/record?person_id=${id}`]) {
    const text = await (await keep(cache, url)).text();
    for (const found of text.matchAll(/href="(\/record\/[^"]+)"/g)) {
      const href = found[1].replaceAll("&amp;", "&");
      if (href.includes(id)) forms.add(href);
    }
  }
  for (const href of forms) await keep(cache, href).catch(() => null);
  return kept[id];
}

async function forgetPerson(id) {
  const kept = (await FranoiStore.meta(OFFLINE_PERSONS)) || {};
  delete kept[id];
  await FranoiStore.setMeta(OFFLINE_PERSONS, kept);
  const cache = await caches.open(CACHE);
  for (const request of await cache.keys()) {
    if (request.url.includes(id)) await cache.delete(request);
  }
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  const answer = (reply) => event.source && event.source.postMessage(reply);
  if (message.type === "keep-shell") {
    event.waitUntil(keepShell().catch(() => null));
  } else if (message.type === "keep-person") {
    event.waitUntil(keepPerson(message.id).then(
      (at) => answer({ type: "person-kept", id: message.id, at }),
      () => answer({ type: "person-kept", id: message.id, failed: true }),
    ));
  } else if (message.type === "forget-person") {
    event.waitUntil(forgetPerson(message.id).then(() => answer({ type: "person-forgotten", id: message.id })));
  }
});
