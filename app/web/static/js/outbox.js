// The device's outbox: reports waiting to be acknowledged by the server, kept in IndexedDB
// (files included), each with the Idempotency-Key made when it was written. A report is sent
// until the server answers; the same key makes a repeated send harmless, so a report is
// created exactly once however often the network drops. Entries are deleted on acknowledgement.
"use strict";

const TBOutbox = (() => {
  const DB_NAME = "tinbao";
  const STORE = "outbox";
  let dbPromise = null;
  const inFlight = new Set();

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function run(mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  const put = (entry) => run("readwrite", (store) => store.put(entry));
  const remove = (key) => run("readwrite", (store) => store.delete(key));
  const list = () => run("readonly", (store) => store.getAll());

  // One entry's multipart body: the `tip` JSON part and the files.
  function formFor(entry) {
    const form = new FormData();
    form.append("tip", new Blob([JSON.stringify(entry.tip)], { type: "application/json" }));
    for (const file of entry.files) form.append("files", file.blob, file.name);
    return form;
  }

  // Whether an error means "try again later" (no answer, overloaded, rate limited).
  function retryable(error) {
    return error.network || error.status === 0 || error.status === 429 || error.status >= 500;
  }

  // Send one entry. Resolves with the 201 body; rejects with TB.ApiError.
  async function send(entry, onProgress) {
    if (inFlight.has(entry.key)) throw Object.assign(new Error("busy"), { busy: true });
    inFlight.add(entry.key);
    try {
      const { data } = await TB.upload("/tips", formFor(entry), {
        headers: { "Idempotency-Key": entry.key },
        onProgress,
      });
      await remove(entry.key);
      return data;
    } finally {
      inFlight.delete(entry.key);
    }
  }

  return { put, remove, list, send, retryable };
})();
