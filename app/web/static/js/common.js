// TinBáo web client — shared helpers: language, API calls, DOM building, formatting.
// Uses only the public API under /api/v1. No token or receipt ever goes into a URL.
"use strict";

const TB = (() => {
  const API = "/api/v1";
  const LANG_KEY = "tinbao.lang";
  const dict = { vi: {}, en: {} };
  let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "vi";

  function addTexts(table) {
    for (const [key, pair] of Object.entries(table)) {
      dict.vi[key] = pair[0];
      dict.en[key] = pair[1];
    }
  }

  function t(key, vars) {
    let text = dict[lang][key] ?? dict.vi[key] ?? key;
    if (vars) {
      for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, value);
    }
    return text;
  }

  function applyTexts(root = document) {
    document.documentElement.lang = lang;
    root.querySelectorAll("[data-i18n]").forEach((node) => {
      node.textContent = t(node.dataset.i18n);
    });
    root.querySelectorAll("[data-i18n-placeholder]").forEach((node) => {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    });
    root.querySelectorAll("[data-i18n-label]").forEach((node) => {
      node.setAttribute("aria-label", t(node.dataset.i18nLabel));
    });
    const button = document.getElementById("lang-switch");
    if (button) {
      button.textContent = lang === "vi" ? "English" : "Tiếng Việt";
      button.lang = lang === "vi" ? "en" : "vi";
    }
    document.dispatchEvent(new CustomEvent("tb:lang"));
  }

  function setLang(next) {
    lang = next;
    localStorage.setItem(LANG_KEY, next);
    applyTexts();
  }

  addTexts({
    "nav.report": ["Gửi tin báo", "Report"],
    "nav.track": ["Theo dõi tin báo", "Follow up"],
    "nav.staff": ["Cán bộ", "Police"],
    "nav.dashboard": ["Tổng hợp", "Review"],
    "nav.label": ["Các trang", "Pages"],
    "common.loading": ["Đang tải…", "Loading…"],
    "common.error": ["Có lỗi xảy ra.", "Something went wrong."],
    "common.network": ["Không kết nối được máy chủ.", "Cannot reach the server."],
    "common.unavailable": [
      "Chức năng này chưa có trên máy chủ này.",
      "This function is not available on this server yet.",
    ],
    "common.none": ["Không có", "None"],
    "common.download": ["Tải về", "Download"],
    "common.send": ["Gửi", "Send"],
    "common.more": ["Xem thêm", "Load more"],
    "common.close": ["Đóng", "Close"],
    "common.remove": ["Bỏ", "Remove"],
    "common.yes": ["Có", "Yes"],
    "common.no": ["Không", "No"],
    "common.sent": ["Đã gửi.", "Sent."],
    "common.done": ["Đã thực hiện.", "Done."],
    "common.unit": ["Đơn vị tiếp nhận", "Receiving unit"],
    "common.files": ["Đính kèm tệp (không bắt buộc)", "Attach files (optional)"],
    "skip": ["Bỏ qua, đến nội dung chính", "Skip to main content"],
    "status.received": ["Đã tiếp nhận", "Received"],
    "status.processing": ["Đang xử lý", "Processing"],
    "status.awaiting_info": ["Cần bổ sung thông tin", "Awaiting information"],
    "status.completed": ["Đã giải quyết", "Completed"],
    "status.not_accepted": ["Không thụ lý", "Not accepted"],
    "status.verifying": ["Đang xác minh", "Verifying"],
    "status.in_progress": ["Đang giải quyết", "In progress"],
    "status.resolved": ["Đã kết thúc", "Resolved"],
    "status.suspended": ["Tạm đình chỉ", "Suspended"],
    "status.transferred": ["Đã chuyển", "Transferred"],
    "status.referred": ["Chuyển cơ quan khác", "Referred"],
    "status.rejected": ["Không tiếp nhận", "Rejected"],
    "status.merged": ["Đã gộp", "Merged"],
    "outcome.prosecuted": ["Khởi tố", "Prosecuted"],
    "outcome.not_prosecuted": ["Không khởi tố", "Not prosecuted"],
    "outcome.suspended": ["Tạm đình chỉ", "Suspended"],
    "outcome.handled": ["Đã xử lý", "Handled"],
    "outcome.mediated": ["Hòa giải", "Mediated"],
    "outcome.unfounded": ["Không có căn cứ", "Unfounded"],
    "outcome.noted": ["Ghi nhận", "Noted"],
    "outcome.none": ["Chưa có kết quả", "No outcome yet"],
  });

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
    get unavailable() {
      return this.status === 404 || this.status === 405 || this.status === 501;
    }
  }

  // fetch() an API path; JSON in and out; headers such as Authorization or X-Tip-Receipt
  // travel in headers only.
  async function api(path, { method = "GET", headers = {}, json, body, raw = false } = {}) {
    const h = { "Accept-Language": lang, ...headers };
    let payload = body;
    if (json !== undefined) {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(API + path, { method, headers: h, body: payload, cache: "no-store" });
    } catch (err) {
      const error = new ApiError(0, { detail: t("common.network") });
      error.network = true;
      throw error;
    }
    if (!response.ok) {
      let problem = null;
      try {
        problem = await response.json();
      } catch (err) {
        problem = null;
      }
      throw new ApiError(response.status, problem);
    }
    if (raw) return response;
    if (response.status === 204) return null;
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  // Upload with progress (fetch has no upload progress): resolves {status, data}.
  function upload(path, formData, { headers = {}, onProgress } = {}) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", API + path);
      xhr.setRequestHeader("Accept-Language", lang);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (event) => {
        if (onProgress && event.lengthComputable) onProgress(event.loaded, event.total);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve({ status: xhr.status, data: xhr.response });
        else reject(new ApiError(xhr.status, xhr.response));
      });
      const fail = () => {
        const error = new ApiError(0, { detail: t("common.network") });
        error.network = true;
        reject(error);
      };
      xhr.addEventListener("error", fail);
      xhr.addEventListener("timeout", fail);
      xhr.addEventListener("abort", fail);
      xhr.send(formData);
    });
  }

  // el("p", {class: "x", text: "..."}, child, ...) — builds DOM without innerHTML.
  function el(tag, attrs = {}, ...children) {
    const svg = ["svg", "g", "rect", "path", "circle", "text", "title", "line"].includes(tag);
    const node = svg
      ? document.createElementNS("http://www.w3.org/2000/svg", tag)
      : document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.firstChild.remove();
    return node;
  }

  function fmtSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function fmtTime(value) {
    if (!value) return "—";
    const date = new Date(value);
    return date.toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", {
      timeZone: "Asia/Ho_Chi_Minh",
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  // A calendar day ("2026-12-16", Vietnamese time) as the language writes it.
  function fmtDate(value) {
    if (!value) return "—";
    const [y, m, d] = String(value).slice(0, 10).split("-");
    return `${d}/${m}/${y}`;
  }

  function statusLabel(status) {
    const key = `status.${status}`;
    const text = t(key);
    return text === key ? status : text;
  }

  // Show a message in a live region (role=status or role=alert already on the node).
  function say(node, text, kind = "info") {
    if (!node) return;
    node.textContent = text;
    node.dataset.kind = kind;
    node.hidden = !text;
  }

  function problemText(error) {
    if (error && error.problem) {
      const p = error.problem;
      const items = (p.errors || []).map((e) => `${e.field ? e.field + ": " : ""}${e.message}`);
      return [p.detail || p.title || error.message, ...items].filter(Boolean).join(" — ");
    }
    return t("common.error");
  }

  // Download a protected file: fetch with the header, then a same-origin blob link.
  async function downloadWith(path, headers, filename) {
    const response = await api(path, { headers, raw: true });
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: filename || "" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // Endpoints this server turned out not to have (404/405 on a path under an object that
  // exists): remembered for the page's life so that their controls stay hidden.
  const missing = new Set();
  const caps = {
    has: (key) => !missing.has(key),
    // true (and remembered) when err says the endpoint is not there
    lost(key, err) {
      if (!err || !err.unavailable) return false;
      missing.add(key);
      return true;
    },
    drop: (key) => missing.add(key),
  };

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // Citizens' pages work offline once seen (sw.js keeps their files).
  function registerOffline() {
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => null);
  }

  // Public reference data (categories, provinces) remembered for offline use.
  async function reference(path) {
    const key = `tinbao.ref:${path}`;
    try {
      const data = await api(path);
      localStorage.setItem(key, JSON.stringify(data));
      return data;
    } catch (err) {
      const kept = localStorage.getItem(key);
      if (kept && err.network) return JSON.parse(kept);
      throw err;
    }
  }

  function init() {
    const button = document.getElementById("lang-switch");
    if (button) button.addEventListener("click", () => setLang(lang === "vi" ? "en" : "vi"));
    applyTexts();
  }

  return {
    addTexts,
    t,
    applyTexts,
    setLang,
    get lang() {
      return lang;
    },
    api,
    upload,
    ApiError,
    el,
    clear,
    fmtSize,
    fmtTime,
    fmtDate,
    statusLabel,
    say,
    problemText,
    downloadWith,
    uuid,
    caps,
    init,
    registerOffline,
    reference,
  };
})();
