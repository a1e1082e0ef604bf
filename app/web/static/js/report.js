// Citizens' report page (/): category, place, description, files, identity, notice contact.
// The report goes through the device outbox (outbox.js): written offline, it is sent when the
// network is back, exactly once (Idempotency-Key).
"use strict";

TB.addTexts({
  "report.title": ["Gửi tin báo về tội phạm, an ninh, trật tự", "Report a crime, security or public-order matter"],
  "report.lead": [
    "Bạn có thể báo tin ẩn danh. Chúng tôi không thu thập thông tin nào khác ngoài những gì bạn nhập.",
    "You may report anonymously. Nothing is collected beyond what you type.",
  ],
  "report.what": ["Việc gì?", "What happened?"],
  "report.category": ["Loại vụ việc", "Kind of matter"],
  "report.choose": ["— Chọn loại vụ việc —", "— Choose a kind —"],
  "report.urgent": ["Khẩn cấp: đang xảy ra hoặc nguy hiểm đến tính mạng", "Urgent: happening now or life in danger"],
  "report.when": ["Khi nào xảy ra (nếu biết)", "When it happened (if known)"],
  "report.where": ["Ở đâu?", "Where?"],
  "place.search": ["Tìm xã/phường", "Search a commune"],
  "place.gps": ["Dùng vị trí của điện thoại", "Use my phone's location"],
  "place.unknown": ["Tôi không nhớ rõ nơi xảy ra", "I don't remember the place"],
  "place.q": ["Tên xã/phường (gõ không dấu cũng được)", "Commune name (diacritics optional)"],
  "place.qhelp": ["Ví dụ: ben nghe, phuong sai gon.", "For example: ben nghe, phuong sai gon."],
  "place.locate": ["Lấy vị trí hiện tại", "Get my location"],
  "place.locating": ["Đang xác định vị trí…", "Finding your location…"],
  "place.nogps": ["Không lấy được vị trí. Hãy tìm xã/phường.", "Could not get your location. Search a commune instead."],
  "place.outside": ["Vị trí không thuộc xã/phường nào.", "That point is not in any commune."],
  "place.province": ["Tỉnh/thành phố", "Province or city"],
  "place.unknownhelp": [
    "Khi không rõ nơi xảy ra: cần mô tả từ 50 ký tự và ít nhất một ảnh, video hoặc tệp. Tin báo sẽ được trực ban công an tỉnh phân loại.",
    "When the place is unknown: a description of 50+ characters and at least one photo, video or file are needed. The provincial duty desk will route it.",
  ],
  "place.address": ["Địa chỉ, mô tả nơi chốn (không bắt buộc)", "Address or description of the place (optional)"],
  "place.chosen": ["Nơi xảy ra: {name}", "Place: {name}"],
  "place.was": ["(trước đây: {name})", "(formerly {name})"],
  "place.noresult": ["Không tìm thấy xã/phường nào.", "No commune found."],
  "report.describe": ["Mô tả", "Description"],
  "report.description": ["Điều bạn thấy hoặc biết", "What you saw or know"],
  "report.count": ["{n}/5000 ký tự (tối thiểu {min})", "{n}/5000 characters (at least {min})"],
  "report.files": ["Ảnh, video, ghi âm hoặc tài liệu (không bắt buộc)", "Photos, videos, recordings or documents (optional)"],
  "report.fileshelp": [
    "Tối đa 10 tệp, mỗi tệp 20 MB. Thông tin ẩn trong ảnh (vị trí, thiết bị) được xóa khi lưu.",
    "Up to 10 files, 20 MB each. Hidden data in photos (location, device) is removed when stored.",
  ],
  "report.removefile": ["Bỏ tệp {name}", "Remove {name}"],
  "report.who": ["Bạn là ai?", "Who are you?"],
  "id.anonymous": ["Ẩn danh", "Anonymous"],
  "id.named": ["Cho biết danh tính (được giữ bí mật)", "Give my identity (kept confidential)"],
  "id.name": ["Họ và tên", "Full name"],
  "id.phone": ["Số điện thoại", "Phone"],
  "id.email": ["Thư điện tử", "E-mail"],
  "id.address": ["Địa chỉ", "Address"],
  "notify.title": ["Nhận thông báo về tin báo này (không bắt buộc)", "Get notices about this report (optional)"],
  "notify.help": [
    "Địa chỉ này chỉ dùng để báo cho bạn khi tin báo có tiến triển; cán bộ không thấy nó.",
    "Used only to tell you about progress; officers do not see it.",
  ],
  "notify.dropped": [
    "Máy chủ này chưa gửi được thông báo; tin báo đã gửi không kèm địa chỉ nhận thông báo.",
    "This server cannot send notices yet; the report was sent without the notice contact.",
  ],
  "report.uploading": ["Đang gửi", "Sending"],
  "report.submit": ["Gửi tin báo", "Send report"],
  "report.sending": ["Đang gửi…", "Sending…"],
  "err.category": ["Hãy chọn loại vụ việc.", "Choose a kind of matter."],
  "err.place": ["Hãy cho biết nơi xảy ra.", "Say where it happened."],
  "err.province": ["Hãy chọn tỉnh/thành phố.", "Choose the province."],
  "err.description": ["Mô tả cần từ {min} đến 5000 ký tự.", "The description needs {min} to 5000 characters."],
  "err.unknownfile": ["Khi không rõ nơi xảy ra, cần ít nhất một tệp.", "With an unknown place, at least one file is needed."],
  "err.identity": ["Hãy nhập họ tên và số điện thoại hoặc thư điện tử.", "Give your name and a phone or e-mail."],
  "err.toomany": ["Tối đa 10 tệp.", "At most 10 files."],
  "outbox.saved": [
    "Chưa có mạng: tin báo đã được lưu trên thiết bị này và sẽ tự gửi khi có mạng lại.",
    "No network: the report is kept on this device and will be sent when the network is back.",
  ],
  "outbox.pending": ["{n} tin báo đang chờ gửi trên thiết bị này.", "{n} report(s) waiting on this device."],
  "outbox.sent": ["Tin báo đã lưu trên thiết bị đã được gửi.", "The report kept on this device has been sent."],
  "outbox.failed": ["Một tin báo lưu trên thiết bị bị từ chối: {why}", "A report kept on this device was refused: {why}"],
  "receipt.title": ["Tin báo đã được tiếp nhận", "Your report has been received"],
  "receipt.your": ["Mã theo dõi của bạn:", "Your receipt:"],
  "receipt.warning": [
    "Hãy chép hoặc in mã này ngay. Mã chỉ hiện một lần và không thể lấy lại: không ai, kể cả công an, biết được mã của bạn.",
    "Copy or print this code now. It is shown only once and cannot be recovered: nobody, not even the police, knows it.",
  ],
  "receipt.copy": ["Sao chép mã", "Copy the code"],
  "receipt.print": ["In mã", "Print"],
  "receipt.copied": ["Đã sao chép.", "Copied."],
  "receipt.reference": ["Số tin báo", "Reference"],
  "receipt.unit": ["Đơn vị tiếp nhận", "Receiving unit"],
  "receipt.register": ["Số vào sổ", "Register number"],
  "receipt.ackby": ["Hạn thông báo tiếp nhận", "Acknowledged by"],
  "receipt.done": ["Tôi đã lưu mã — gửi tin báo khác", "I have saved it — new report"],
});

(() => {
  const $ = (id) => document.getElementById(id);
  let categories = [];
  let place = null; // {commune_code, name, lat?, lon?}
  let files = []; // File objects
  const receipts = []; // receipts waiting to be shown (never stored)

  function placeMode() {
    return document.querySelector("input[name=place-mode]:checked").value;
  }

  function minDescription() {
    return placeMode() === "unknown" ? 50 : 10;
  }

  function showCategoryHelp() {
    const cat = categories.find((c) => c.code === $("category").value);
    $("category-help").textContent = cat ? cat.description || "" : "";
  }

  function renderCategories() {
    const select = $("category");
    const chosen = select.value;
    TB.clear(select).append(TB.el("option", { value: "", text: TB.t("report.choose") }));
    for (const cat of categories) {
      const name = TB.lang === "en" ? cat.name_en || cat.name : cat.name;
      select.append(TB.el("option", { value: cat.code, text: name }));
    }
    select.value = chosen;
    showCategoryHelp();
  }

  async function loadReference() {
    try {
      categories = await TB.reference("/categories");
      renderCategories();
      const provinces = await TB.reference("/admin-units/provinces");
      const select = $("province");
      select.append(TB.el("option", { value: "", text: "—" }));
      for (const p of provinces) select.append(TB.el("option", { value: p.code, text: p.name }));
    } catch (err) {
      TB.say($("form-errors"), TB.problemText(err), "error");
    }
  }

  function setPlace(next) {
    place = next;
    $("place-chosen").textContent = next ? TB.t("place.chosen", { name: next.name }) : "";
  }

  function showPlaceMode() {
    const mode = placeMode();
    $("place-search").hidden = mode !== "search";
    $("place-gps").hidden = mode !== "gps";
    $("place-unknown").hidden = mode !== "unknown";
    setPlace(null);
    updateCount();
  }

  let searchTimer = null;
  function searchCommunes() {
    clearTimeout(searchTimer);
    const q = $("commune-q").value.trim();
    const list = $("commune-results");
    if (q.length < 2) {
      TB.clear(list);
      return;
    }
    searchTimer = setTimeout(async () => {
      try {
        const found = await TB.api(`/admin-units/communes?q=${encodeURIComponent(q)}&limit=20`);
        TB.clear(list);
        if (!found.length) list.append(TB.el("li", { text: TB.t("place.noresult") }));
        for (const c of found) {
          const code = c.merged_into || c.code;
          const label = c.merged_into
            ? `${c.name} ${TB.t("place.was", { name: c.name })}`
            : `${c.name} — ${c.province_name || c.province_code}`;
          const button = TB.el("button", {
            type: "button",
            class: "result",
            text: c.legacy ? `${c.name} (${c.legacy.district_name}, ${c.legacy.province_name})` : label,
            on: {
              click: () => {
                setPlace({ commune_code: code, name: c.legacy ? `${c.name} → ${code}` : c.name });
                TB.clear(list);
                $("address").focus();
              },
            },
          });
          list.append(TB.el("li", {}, button));
        }
      } catch (err) {
        TB.clear(list).append(TB.el("li", { text: TB.problemText(err) }));
      }
    }, 250);
  }

  function locate() {
    if (!navigator.geolocation) {
      $("place-chosen").textContent = TB.t("place.nogps");
      return;
    }
    $("place-chosen").textContent = TB.t("place.locating");
    navigator.geolocation.getCurrentPosition(
      async (pos) => {
        const lat = Number(pos.coords.latitude.toFixed(6));
        const lon = Number(pos.coords.longitude.toFixed(6));
        try {
          const c = await TB.api(`/admin-units/locate?lat=${lat}&lon=${lon}`);
          setPlace({ commune_code: c.code, name: c.name, lat, lon });
        } catch (err) {
          $("place-chosen").textContent = err.status === 404 ? TB.t("place.outside") : TB.problemText(err);
        }
      },
      () => {
        $("place-chosen").textContent = TB.t("place.nogps");
      },
      { enableHighAccuracy: true, timeout: 15000 }
    );
  }

  function renderFiles() {
    const list = TB.clear($("file-list"));
    files.forEach((file, i) => {
      let preview = null;
      if (file.type.startsWith("image/")) {
        preview = TB.el("img", { src: URL.createObjectURL(file), alt: "", class: "thumb" });
      } else if (file.type.startsWith("video/")) {
        preview = TB.el("video", { src: URL.createObjectURL(file), class: "thumb", muted: true });
      }
      const remove = TB.el("button", {
        type: "button",
        class: "link",
        text: TB.t("common.remove"),
        "aria-label": TB.t("report.removefile", { name: file.name }),
        on: {
          click: () => {
            files.splice(i, 1);
            renderFiles();
          },
        },
      });
      list.append(
        TB.el("li", {}, preview, TB.el("span", { class: "fname", text: file.name }), TB.el("span", { class: "fsize", text: TB.fmtSize(file.size) }), remove)
      );
    });
  }

  function updateCount() {
    const n = $("description").value.length;
    $("description-count").textContent = TB.t("report.count", { n, min: minDescription() });
  }

  function validate() {
    const errors = [];
    if (!$("category").value) errors.push(["category", TB.t("err.category")]);
    const mode = placeMode();
    if (mode === "unknown") {
      if (!$("province").value) errors.push(["province", TB.t("err.province")]);
      if (!files.length) errors.push(["files", TB.t("err.unknownfile")]);
    } else if (!place) {
      errors.push([mode === "gps" ? "locate-btn" : "commune-q", TB.t("err.place")]);
    }
    const len = $("description").value.trim().length;
    if (len < minDescription() || len > 5000) {
      errors.push(["description", TB.t("err.description", { min: minDescription() })]);
    }
    if (document.querySelector("input[name=identity]:checked").value === "named") {
      if (!$("rep-name").value.trim() || !($("rep-phone").value.trim() || $("rep-email").value.trim())) {
        errors.push(["rep-name", TB.t("err.identity")]);
      }
    }
    if (files.length > 10) errors.push(["files", TB.t("err.toomany")]);
    return errors;
  }

  function buildTip() {
    const mode = placeMode();
    const location = {};
    if (mode === "unknown") location.province_code = $("province").value;
    else {
      location.commune_code = place.commune_code;
      if (place.lat !== undefined) {
        location.lat = place.lat;
        location.lon = place.lon;
      }
    }
    const address = $("address").value.trim();
    if (address) location.address = address;
    const tip = {
      category_code: $("category").value,
      description: $("description").value.trim(),
      location,
      location_unknown: mode === "unknown",
      urgent: $("urgent").checked,
      channel: "web",
    };
    const occurred = $("occurred").value;
    if (occurred) tip.occurred_at = `${occurred.length === 16 ? occurred + ":00" : occurred}+07:00`;
    if (document.querySelector("input[name=identity]:checked").value === "named") {
      tip.anonymous = false;
      tip.reporter = { full_name: $("rep-name").value.trim() };
      for (const [field, id] of [["phone", "rep-phone"], ["email", "rep-email"], ["address", "rep-address"]]) {
        const value = $(id).value.trim();
        if (value) tip.reporter[field] = value;
      }
    } else tip.anonymous = true;
    const notify = {};
    if ($("notify-email").value.trim()) notify.email = $("notify-email").value.trim();
    if ($("notify-phone").value.trim()) notify.phone = $("notify-phone").value.trim();
    if (Object.keys(notify).length) tip.notify = notify;
    return tip;
  }

  function resetForm() {
    $("report-form").reset();
    files = [];
    renderFiles();
    showPlaceMode();
    $("identity-fields").hidden = true;
    TB.clear($("commune-results"));
    updateCount();
    showCategoryHelp();
  }

  function showReceipt(created) {
    const code = TB.clear($("receipt-code"));
    created.receipt.split("-").forEach((group, i) => code.append(i ? "-" : "", TB.el("span", { text: group })));
    $("receipt-reference").textContent = created.reference;
    $("receipt-unit").textContent = created.assigned_unit ? created.assigned_unit.name : "";
    $("receipt-register").textContent = created.register_number || "";
    $("receipt-ackby").textContent = TB.fmtTime(created.acknowledge_by);
    $("receipt-copied").hidden = true;
    $("receipt-panel").hidden = false;
    $("report-form").hidden = true;
    $("receipt-panel").focus();
  }

  function nextReceipt() {
    TB.clear($("receipt-code"));
    $("receipt-panel").hidden = true;
    if (receipts.length) showReceipt(receipts.shift());
    else {
      $("report-form").hidden = false;
      $("category").focus();
    }
  }

  function queueReceipt(created) {
    if ($("receipt-panel").hidden) showReceipt(created);
    else receipts.push(created);
  }

  function progress(loaded, total) {
    const pct = Math.round((loaded / total) * 100);
    $("upload-progress").value = pct;
    $("progress-text").textContent = `${pct}% (${TB.fmtSize(loaded)} / ${TB.fmtSize(total)})`;
  }

  // The notice contact is optional: a server without it refuses the field; send without it.
  function notifyRefused(err) {
    return err.status === 422 && (err.problem.errors || []).some((e) => (e.field || "").startsWith("notify"));
  }

  async function deliver(entry, foreground) {
    try {
      if (foreground) $("progress-box").hidden = false;
      const created = await TBOutbox.send(entry, foreground ? progress : null);
      queueReceipt(created);
      if (!foreground) TB.say($("outbox-status"), TB.t("outbox.sent"), "ok");
      return true;
    } catch (err) {
      if (err.busy) return false;
      if (TBOutbox.retryable(err)) {
        if (foreground) TB.say($("outbox-status"), TB.t("outbox.saved"), "info");
        scheduleRetry();
        return false;
      }
      if (notifyRefused(err) && entry.tip.notify) {
        delete entry.tip.notify;
        await TBOutbox.put(entry);
        TB.say($("outbox-status"), TB.t("notify.dropped"), "info");
        return deliver(entry, foreground);
      }
      await TBOutbox.remove(entry.key);
      const why = TB.problemText(err);
      if (foreground) TB.say($("form-errors"), why, "error");
      else TB.say($("outbox-status"), TB.t("outbox.failed", { why }), "error");
      return false;
    } finally {
      if (foreground) $("progress-box").hidden = true;
    }
  }

  let retryTimer = null;
  let retryDelay = 5000;
  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 120000);
  }

  async function flush() {
    if (!navigator.onLine) return;
    const entries = await TBOutbox.list();
    for (const entry of entries) {
      const ok = await deliver(entry, false);
      if (ok) retryDelay = 5000;
    }
    const left = (await TBOutbox.list()).length;
    if (left) {
      TB.say($("outbox-status"), TB.t("outbox.pending", { n: left }), "info");
      scheduleRetry();
    }
  }

  async function submit(event) {
    event.preventDefault();
    const errors = validate();
    if (errors.length) {
      const box = $("form-errors");
      TB.say(box, errors.map((e) => e[1]).join(" "), "error");
      const first = $(errors[0][0]);
      if (first) first.focus();
      return;
    }
    TB.say($("form-errors"), "");
    const entry = {
      key: TB.uuid(),
      tip: buildTip(),
      files: files.map((f) => ({ name: f.name, type: f.type, blob: f })),
      createdAt: new Date().toISOString(),
    };
    // Kept on the device first: whatever happens next, the report is not lost.
    await TBOutbox.put(entry);
    resetForm();
    if (!navigator.onLine) {
      TB.say($("outbox-status"), TB.t("outbox.saved"), "info");
      return;
    }
    $("submit-btn").disabled = true;
    try {
      await deliver(entry, true);
    } finally {
      $("submit-btn").disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    TB.init();
    document.addEventListener("tb:lang", () => {
      renderCategories();
      updateCount();
      renderFiles();
    });
    $("category").addEventListener("change", showCategoryHelp);
    document.querySelectorAll("input[name=place-mode]").forEach((r) => r.addEventListener("change", showPlaceMode));
    document.querySelectorAll("input[name=identity]").forEach((r) =>
      r.addEventListener("change", () => {
        $("identity-fields").hidden = document.querySelector("input[name=identity]:checked").value !== "named";
      })
    );
    $("commune-q").addEventListener("input", searchCommunes);
    $("locate-btn").addEventListener("click", locate);
    $("province").addEventListener("change", () => {
      const opt = $("province").selectedOptions[0];
      $("place-chosen").textContent = opt && opt.value ? TB.t("place.chosen", { name: opt.text }) : "";
    });
    $("description").addEventListener("input", updateCount);
    $("files").addEventListener("change", () => {
      files = files.concat(Array.from($("files").files));
      $("files").value = "";
      renderFiles();
    });
    $("report-form").addEventListener("submit", submit);
    $("receipt-copy").addEventListener("click", async () => {
      const code = $("receipt-code").textContent;
      try {
        await navigator.clipboard.writeText(code);
      } catch (err) {
        const range = document.createRange();
        range.selectNodeContents($("receipt-code"));
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        document.execCommand("copy");
      }
      TB.say($("receipt-copied"), TB.t("receipt.copied"), "ok");
    });
    $("receipt-print").addEventListener("click", () => window.print());
    $("receipt-done").addEventListener("click", nextReceipt);
    window.addEventListener("online", flush);
    TB.registerOffline();
    updateCount();
    loadReference();
    flush();
  });
})();
