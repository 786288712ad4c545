// The desk's store on this device (IndexedDB), shared by the pages and the service worker:
// "outbox" holds what a worker recorded and the desk has not confirmed yet (key: the
// entry's client-chosen id; index "seq": the order it was recorded in), "meta" the last
// sync time and the persons kept available offline. Wiped at sign-out.
"use strict";
// eslint-disable-next-line no-unused-vars
const FranoiStore = (() => {
  const NAME = "franoi-desk";
  let opened = null;

  function open() {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const request = indexedDB.open(NAME, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("outbox", { keyPath: "id" }).createIndex("seq", "seq");
          db.createObjectStore("meta");
        };
        request.onsuccess = () => {
          const db = request.result;
          db.onversionchange = () => { db.close(); opened = null; };  // being wiped
          resolve(db);
        };
        request.onerror = () => { opened = null; reject(request.error); };
      });
    }
    return opened;
  }

  function run(store, mode, work) {
    return open().then((db) => new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      const request = work(transaction.objectStore(store));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    }));
  }

  return {
    put: (entry) => run("outbox", "readwrite", (s) => s.put(entry)),
    get: (id) => run("outbox", "readonly", (s) => s.get(id)),
    all: () => run("outbox", "readonly", (s) => s.index("seq").getAll()),
    remove: (id) => run("outbox", "readwrite", (s) => s.delete(id)),
    meta: (key) => run("meta", "readonly", (s) => s.get(key)),
    setMeta: (key, value) => run("meta", "readwrite", (s) => s.put(value, key)),
    async wipe() {
      if (opened) {
        try { (await opened).close(); } catch (_) { /* never opened */ }
        opened = null;
      }
      await new Promise((resolve) => {
        const request = indexedDB.deleteDatabase(NAME);
        request.onsuccess = request.onerror = request.onblocked = () => resolve();
      });
    },
  };
})();
