// Police page (/staff/): sign in, the queue (filters, sorts, cursor paging, overdue and unread
// markers), a tip's record and the actions the role allows, the notifications inbox.
"use strict";

TB.addTexts({
  "queue.title": ["Tin báo cần xử lý", "Tips to handle"],
  "queue.list": ["Danh sách", "List"],
  "queue.q": ["Tìm (không dấu được)", "Search (diacritics optional)"],
  "queue.status": ["Trạng thái", "Status"],
  "queue.category": ["Loại", "Category"],
  "queue.assignee": ["Người xử lý", "Assignee"],
  "queue.anyone": ["Tất cả", "Anyone"],
  "queue.me": ["Của tôi", "Mine"],
  "queue.unassigned": ["Chưa giao", "Unassigned"],
  "queue.sort": ["Sắp xếp", "Sort"],
  "queue.newest": ["Mới nhất", "Newest"],
  "queue.due": ["Sắp đến hạn", "Due soonest"],
  "queue.priority": ["Ưu tiên", "Priority"],
  "queue.from": ["Từ ngày", "From"],
  "queue.to": ["Đến ngày", "To"],
  "queue.overdue": ["Quá hạn", "Overdue"],
  "queue.urgent": ["Khẩn cấp", "Urgent"],
  "queue.apply": ["Lọc", "Filter"],
  "queue.all": ["Tất cả", "All"],
  "queue.count": ["{n} tin báo đang hiển thị.", "{n} tips shown."],
  "queue.empty": ["Không có tin báo nào.", "No tips."],
  "queue.unread": ["{n} tin nhắn mới", "{n} new messages"],
  "queue.due_at": ["hạn {at}", "due {at}"],
  "detail.description": ["Nội dung", "Description"],
  "detail.reporter": ["Người báo tin", "Reporter"],
  "detail.anonymous": ["Ẩn danh", "Anonymous"],
  "detail.masked": ["Danh tính được bảo mật.", "Identity protected."],
  "detail.attachments": ["Tệp đính kèm", "Attachments"],
  "detail.similar": ["Tin báo có thể trùng", "Possible duplicates"],
  "detail.actions": ["Xử lý", "Actions"],
  "detail.conversation": ["Trao đổi với người báo tin", "Conversation with the reporter"],
  "detail.reply": ["Viết cho người báo tin", "Write to the reporter"],
  "detail.timeline": ["Diễn biến", "History"],
  "detail.unit": ["Đơn vị", "Unit"],
  "detail.category": ["Loại", "Category"],
  "detail.status": ["Trạng thái", "Status"],
  "detail.assignee": ["Người xử lý", "Assignee"],
  "detail.register": ["Số vào sổ", "Register number"],
  "detail.received": ["Tiếp nhận", "Received"],
  "detail.ackby": ["Hạn thông báo tiếp nhận", "Acknowledge by"],
  "detail.acknowledged": ["Đã thông báo tiếp nhận", "Acknowledged"],
  "detail.due": ["Hạn giải quyết", "Due"],
  "detail.place": ["Nơi xảy ra", "Place"],
  "detail.channel": ["Kênh", "Channel"],
  "detail.outcome": ["Kết quả", "Outcome"],
  "detail.none": ["Không có.", "None."],
  "detail.score": ["độ giống {s}", "similarity {s}"],
  "detail.from_reporter": ["Người báo tin", "Reporter"],
  "detail.to_reporter": ["Đơn vị", "Unit"],
  "ev.tip.created": ["Tiếp nhận tin báo", "Tip received"],
  "ev.tip.status_changed": ["Chuyển trạng thái", "Status changed"],
  "ev.tip.assigned": ["Giao xử lý", "Assigned"],
  "ev.tip.message_added": ["Trao đổi với người báo tin", "Message"],
  "ev.tip.note_added": ["Ghi chú nội bộ", "Internal note"],
  "ev.tip.transferred": ["Chuyển đơn vị", "Transferred"],
  "ev.tip.merged": ["Gộp tin báo", "Merged"],
  "ev.tip.deadline_extended": ["Gia hạn", "Deadline extended"],
  "ev.tip.overdue": ["Quá hạn", "Overdue"],
  "ev.tip.urgent": ["Báo động khẩn cấp", "Urgent alert"],
  "ev.tip.reporter_revealed": ["Xem danh tính người báo tin", "Reporter revealed"],
  "ev.tip.acknowledged": ["Thông báo đã tiếp nhận", "Acknowledged"],
  "ev.tip.corrected": ["Sửa thông tin tiếp nhận", "Corrected"],
  "ev.tip.attachment_added": ["Thêm tệp", "File added"],
  "detail.complaints": ["Khiếu nại của người báo tin", "The reporter's complaints"],
  "detail.by_staff": ["cán bộ tải lên", "uploaded by staff"],
  "detail.public": ["Lời nhắn cho người báo tin: {m}", "Line for the reporter: {m}"],
  "ev.tip.complaint_filed": ["Người báo tin khiếu nại", "Complaint filed"],
  "ev.tip.rerouted": ["Chuyển theo nơi xảy ra đã sửa", "Re-routed"],
  "ev.tip.acknowledge_overdue": ["Quá hạn thông báo tiếp nhận", "Acknowledgement overdue"],
  "ev.tip.classify_overdue": ["Quá hạn phân loại", "Classification overdue"],
  "ev.tip.escalated": ["Báo cáo lên cấp trên", "Escalated"],
  "ev.tip.protection_requested": ["Đề nghị bảo vệ", "Protection requested"],
  "detail.nofiles": [
    "Máy chủ này chưa nhận tệp kèm tin nhắn của cán bộ; hãy gửi lời nhắn không kèm tệp.",
    "This server does not take files with staff messages yet; send the text alone.",
  ],
  "inbox.title": ["Thông báo", "Notifications"],
  "inbox.readall": ["Đánh dấu đã đọc tất cả", "Mark all read"],
  "inbox.empty": ["Không có thông báo.", "No notifications."],
  "inbox.unread": ["{n} chưa đọc", "{n} unread"],
});

(() => {
  const $ = (id) => document.getElementById(id);
  const S = TBSession;
  let categories = [];
  let cursor = null;
  let items = [];
  let current = null; // the open tip record
  let inboxTimer = null;
  let inboxAvailable = true;
  const unitUsers = {}; // unit code → [[id, name]] or null when the role may not list users

  const STATUSES = ["received", "verifying", "in_progress", "awaiting_info", "suspended", "referred", "resolved", "rejected", "merged"];
  const catName = (code) => {
    const c = categories.find((x) => x.code === code);
    return c ? (TB.lang === "en" ? c.name_en || c.name : c.name) : code;
  };

  function fillSelects() {
    const status = $("f-status");
    const chosen = status.value;
    TB.clear(status).append(TB.el("option", { value: "", text: TB.t("queue.all") }));
    for (const s of STATUSES) status.append(TB.el("option", { value: s, text: TB.statusLabel(s) }));
    status.value = chosen;
    const cat = $("f-category");
    const chosenCat = cat.value;
    TB.clear(cat).append(TB.el("option", { value: "", text: TB.t("queue.all") }));
    for (const c of categories) cat.append(TB.el("option", { value: c.code, text: catName(c.code) }));
    cat.value = chosenCat;
  }

  function queueQuery() {
    const p = new URLSearchParams();
    const add = (k, v) => v && p.set(k, v);
    add("q", $("f-q").value.trim());
    add("status", $("f-status").value);
    add("category_code", $("f-category").value);
    add("assignee_id", $("f-assignee").value);
    add("sort", $("f-sort").value);
    add("created_from", $("f-from").value);
    add("created_to", $("f-to").value);
    if ($("f-overdue").checked) p.set("overdue", "true");
    if ($("f-urgent").checked) p.set("urgent", "true");
    p.set("limit", "25");
    return p;
  }

  function queueItem(tip) {
    const tags = [
      tip.urgent ? TB.el("span", { class: "tag urgent", text: TB.t("queue.urgent") }) : null,
      tip.overdue ? TB.el("span", { class: "tag overdue", text: TB.t("queue.overdue") }) : null,
      tip.unread_messages ? TB.el("span", { class: "tag unread", text: TB.t("queue.unread", { n: tip.unread_messages }) }) : null,
    ];
    const button = TB.el(
      "button",
      {
        type: "button",
        class: "item",
        dataset: { id: tip.id, reference: tip.reference },
        "aria-current": current && current.id === tip.id ? "true" : "false",
        on: { click: () => openTip(tip.id) },
      },
      TB.el("strong", { text: `${tip.reference} · ${catName(tip.category_code)}` }),
      TB.el("span", {}, tags, `${TB.statusLabel(tip.status)} · ${tip.assigned_unit ? tip.assigned_unit.code : ""}`),
      TB.el("span", { class: "help", text: `${TB.fmtTime(tip.created_at)} · ${TB.t("queue.due_at", { at: TB.fmtTime(tip.due_at) })}` })
    );
    return TB.el("li", {}, button);
  }

  function renderQueue() {
    const list = TB.clear($("queue"));
    for (const tip of items) list.append(queueItem(tip));
    $("queue-status").textContent = items.length ? TB.t("queue.count", { n: items.length }) : TB.t("queue.empty");
    $("queue-more").hidden = !cursor;
  }

  // Only the latest load counts: a slow answer to an earlier filter never replaces a newer
  // list, and "more" continues the list its cursor came from (with that list's query).
  let loads = 0;
  let cursorQuery = null;

  async function loadQueue(more = false) {
    const seq = ++loads;
    const continuing = more && cursor;
    const p = continuing ? new URLSearchParams(cursorQuery) : queueQuery();
    if (continuing) p.set("cursor", cursor);
    else {
      $("queue-more").hidden = true;
      TB.say($("queue-status"), TB.t("common.loading"));
    }
    try {
      const page = await S.api(`/tips?${p}`);
      if (seq !== loads) return;
      items = continuing ? items.concat(page.items) : page.items;
      cursor = page.next_cursor;
      p.delete("cursor");
      cursorQuery = p;
      renderQueue();
    } catch (err) {
      if (seq === loads) TB.say($("queue-status"), TB.problemText(err), "error");
    }
  }

  function fact(key, value) {
    return [TB.el("dt", { text: TB.t(key) }), TB.el("dd", { text: value ?? "—" })];
  }

  function renderDetail() {
    const tip = current;
    $("d-title").textContent = `${tip.reference} · ${catName(tip.category_code)}`;
    TB.clear($("d-tags")).append(
      tip.urgent ? TB.el("span", { class: "tag urgent", text: TB.t("queue.urgent") }) : "",
      tip.overdue ? TB.el("span", { class: "tag overdue", text: TB.t("queue.overdue") }) : ""
    );
    const loc = tip.location || {};
    TB.clear($("d-facts")).append(
      ...fact("detail.status", TB.statusLabel(tip.status)),
      ...fact("detail.unit", tip.assigned_unit ? `${tip.assigned_unit.name} (${tip.assigned_unit.code})` : ""),
      ...fact("detail.assignee", tip.assignee ? tip.assignee.full_name : "—"),
      ...fact("detail.register", tip.register_number),
      ...fact("detail.received", TB.fmtTime(tip.received_at || tip.created_at)),
      ...fact("detail.ackby", TB.fmtTime(tip.acknowledge_by)),
      ...fact("detail.acknowledged", tip.acknowledged_at ? TB.fmtTime(tip.acknowledged_at) : "—"),
      ...fact("detail.due", TB.fmtTime(tip.due_at)),
      ...fact("detail.place", [loc.commune_code, loc.address].filter(Boolean).join(" — ") || "—"),
      ...fact("detail.channel", tip.channel),
      ...fact("detail.outcome", tip.outcome || "—")
    );
    $("d-description").textContent = tip.description || "—";
    if (loc.commune_code) {
      const place = $("d-facts").querySelectorAll("dd")[8];
      TB.api(`/admin-units/communes/${encodeURIComponent(loc.commune_code)}`)
        .then((c) => (place.textContent = [c.name, loc.address].filter(Boolean).join(" — ")))
        .catch(() => null);
    }
    const rep = tip.reporter;
    $("d-reporter").textContent = !rep || rep.anonymous ? TB.t("detail.anonymous") : rep.masked ? TB.t("detail.masked") : [rep.full_name, rep.phone, rep.email, rep.address].filter(Boolean).join(" · ");
    const att = TB.clear($("d-attachments"));
    if (!(tip.attachments || []).length) att.append(TB.el("li", { text: TB.t("detail.none") }));
    for (const a of tip.attachments || []) {
      att.append(
        TB.el(
          "li",
          {},
          TB.el("button", {
            type: "button",
            class: "link",
            text: `${a.filename} (${a.content_type}, ${TB.fmtSize(a.size)})${a.uploaded_by === "staff" ? " · " + TB.t("detail.by_staff") : ""}`,
            on: { click: () => TB.downloadWith(`/tips/${tip.id}/attachments/${a.id}`, S.auth(), a.filename) },
          })
        )
      );
    }
    const complaints = tip.complaints || [];
    $("d-complaints-box").hidden = !complaints.length;
    TB.clear($("d-complaints")).append(...complaints.map((c) => TB.el("li", {}, TB.el("time", { datetime: c.filed_at, text: TB.fmtTime(c.filed_at) }), c.body ? TB.el("p", { text: c.body }) : null)));
    TBActions.render();
  }

  async function loadSide(tip) {
    const [events, messages, similar] = await Promise.allSettled([
      S.api(`/tips/${tip.id}/events`),
      S.api(`/tips/${tip.id}/messages?limit=100`),
      TB.caps.has("similar") ? S.api(`/tips/${tip.id}/similar`) : Promise.reject(new TB.ApiError(404)),
    ]);
    const tl = TB.clear($("d-timeline"));
    const evs = events.status === "fulfilled" ? events.value.items || events.value : tip.timeline || [];
    for (const ev of evs) {
      const key = `ev.${ev.type}`;
      const name = TB.t(key) === key ? ev.type : TB.t(key);
      const what = ev.to_status ? `${name}: ${ev.from_status ? TB.statusLabel(ev.from_status) + " → " : ""}${TB.statusLabel(ev.to_status)}` : name;
      tl.append(TB.el("li", {}, TB.el("time", { datetime: ev.at, text: `${TB.fmtTime(ev.at)} · ${ev.actor ? ev.actor.label : ""}` }), TB.el("span", { text: what }), ev.note ? TB.el("p", { text: ev.note }) : null, ev.public_message ? TB.el("p", { class: "help", text: TB.t("detail.public", { m: ev.public_message }) }) : null));
    }
    const ml = TB.clear($("d-messages"));
    const msgs = messages.status === "fulfilled" ? messages.value.items : [];
    msgs.sort((a, b) => (a.at < b.at ? -1 : 1));
    if (!msgs.length) ml.append(TB.el("li", { text: TB.t("detail.none") }));
    for (const m of msgs) {
      const files = (m.attachments || []).map((a) =>
        TB.el("button", { type: "button", class: "link", text: a.filename, on: { click: () => TB.downloadWith(`/tips/${tip.id}/attachments/${a.id}`, S.auth(), a.filename) } })
      );
      ml.append(TB.el("li", { class: m.direction === "to_reporter" ? "mine" : "theirs" }, TB.el("div", { class: "meta", text: `${TB.t(`detail.${m.direction}`)} · ${TB.fmtTime(m.at)}` }), TB.el("p", { text: m.body }), files));
    }
    const sl = TB.clear($("d-similar"));
    // A server without /similar: the section goes away rather than saying so on every tip.
    if (similar.status !== "fulfilled") TB.caps.lost("similar", similar.reason);
    $("d-similar-box").hidden = !TB.caps.has("similar");
    if (!TB.caps.has("similar")) return;
    if (similar.status !== "fulfilled") sl.append(TB.el("li", { text: TB.problemText(similar.reason) }));
    else if (!similar.value.length) sl.append(TB.el("li", { text: TB.t("detail.none") }));
    else
      for (const s of similar.value) {
        sl.append(
          TB.el(
            "li",
            {},
            TB.el("button", { type: "button", class: "link", text: `${s.reference} · ${TB.statusLabel(s.status)} · ${TB.t("detail.score", { s: Math.round(s.score * 100) + "%" })}`, on: { click: () => openTip(s.id) } }),
            TB.el("button", { type: "button", class: "link", text: TB.t("act.mergehere", { ref: s.reference }), on: { click: () => TBActions.mergeInto(s) } })
          )
        );
      }
  }

  async function openTip(id) {
    try {
      current = await S.api(`/tips/${id}`);
    } catch (err) {
      TB.say($("queue-status"), TB.problemText(err), "error");
      return;
    }
    const unit = current.assigned_unit && current.assigned_unit.code;
    if (unit && !(unit in unitUsers)) {
      try {
        const page = await S.api(`/users?unit_code=${encodeURIComponent(unit)}&disabled=false&limit=200`);
        unitUsers[unit] = page.items.map((u) => [u.id, `${u.full_name} (${u.username})`]);
      } catch (err) {
        unitUsers[unit] = null; // leads and officers type the id
      }
    }
    $("detail").hidden = false;
    TB.say($("action-status"), "");
    renderDetail();
    renderQueue();
    $("detail").focus();
    loadSide(current);
  }

  async function sendReply(event) {
    event.preventDefault();
    const body = $("reply-body").value.trim();
    if (!body || !current) return;
    const chosen = TB.caps.has("message-files") ? Array.from($("reply-files").files) : [];
    await TBActions.run(async () => {
      if (chosen.length) {
        const form = new FormData();
        form.append("message", new Blob([JSON.stringify({ body })], { type: "application/json" }));
        for (const f of chosen) form.append("files", f, f.name);
        try {
          await S.upload(`/tips/${current.id}/messages`, form);
        } catch (err) {
          // A server whose staff messages take JSON only refuses the multipart body.
          if ([400, 415, 422].includes(err.status)) {
            TB.caps.drop("message-files");
            $("reply-files-box").hidden = true;
            $("reply-files").value = "";
            err.problem = { detail: TB.t("detail.nofiles") };
          }
          throw err;
        }
      } else await S.api(`/tips/${current.id}/messages`, { method: "POST", json: { body } });
      $("reply-body").value = "";
      $("reply-files").value = "";
    });
  }

  // --- notifications inbox (polls; the badge updates without reloading) -------------------
  async function pollInbox() {
    clearTimeout(inboxTimer);
    if (!S.me || !inboxAvailable) return;
    try {
      const page = await S.api("/notifications?unread=true&limit=1");
      const n = page.unread ?? page.items.length;
      $("inbox-btn").hidden = false;
      $("inbox-badge").hidden = !n;
      $("inbox-badge").textContent = String(n);
      $("inbox-btn").setAttribute("aria-label", `${TB.t("inbox.title")}: ${TB.t("inbox.unread", { n })}`);
    } catch (err) {
      if (err.unavailable) {
        inboxAvailable = false;
        $("inbox-btn").hidden = false;
        $("inbox-badge").hidden = true;
        $("inbox-btn").setAttribute("aria-label", `${TB.t("inbox.title")}: ${TB.t("common.unavailable")}`);
        return;
      }
    }
    inboxTimer = setTimeout(pollInbox, document.hidden ? 60000 : 15000);
  }

  async function openInbox() {
    const panel = $("inbox");
    panel.hidden = !panel.hidden;
    $("inbox-btn").setAttribute("aria-expanded", String(!panel.hidden));
    if (panel.hidden) return;
    const list = TB.clear($("inbox-list"));
    if (!inboxAvailable) {
      TB.say($("inbox-status"), TB.t("common.unavailable"), "info");
      return;
    }
    try {
      const page = await S.api("/notifications?limit=30");
      TB.say($("inbox-status"), page.items.length ? TB.t("inbox.unread", { n: page.unread ?? 0 }) : TB.t("inbox.empty"));
      for (const n of page.items) {
        list.append(
          TB.el(
            "li",
            { class: n.read_at ? "read" : "unread" },
            TB.el("button", {
              type: "button",
              class: "link",
              text: `${TB.fmtTime(n.at)} · ${n.title || n.type}${n.reference ? " · " + n.reference : ""}`,
              on: {
                click: async () => {
                  await S.api(`/notifications/${n.id}/read`, { method: "POST" }).catch(() => null);
                  pollInbox();
                  if (n.tip_id) openTip(n.tip_id);
                },
              },
            }),
            n.body ? TB.el("p", { text: n.body }) : null
          )
        );
      }
    } catch (err) {
      TB.say($("inbox-status"), err.unavailable ? TB.t("common.unavailable") : TB.problemText(err), "error");
    }
  }

  async function ready() {
    $("work-view").hidden = false;
    try {
      categories = await TB.api("/categories");
    } catch (err) {
      categories = [];
    }
    fillSelects();
    loadQueue();
    inboxAvailable = true;
    pollInbox();
  }

  document.addEventListener("DOMContentLoaded", () => {
    TB.init();
    document.addEventListener("tb:lang", () => {
      if (!S.me) return;
      fillSelects();
      renderQueue();
      if (current) renderDetail();
    });
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      loadQueue();
    });
    $("queue-more").addEventListener("click", () => loadQueue(true));
    $("reply-form").addEventListener("submit", sendReply);
    TBActions.init(
      {
        tip: () => current,
        reopen: async () => {
          await openTip(current.id);
          loadQueue();
        },
        rerender: renderDetail,
        categories: () => categories,
        catName,
        people: (unit) => unitUsers[unit],
      },
      $("d-actions")
    );
    $("inbox-btn").addEventListener("click", openInbox);
    $("inbox-close").addEventListener("click", openInbox);
    $("inbox-readall").addEventListener("click", async () => {
      await S.api("/notifications/read-all", { method: "POST" }).catch(() => null);
      pollInbox();
      $("inbox").hidden = true;
    });
    document.addEventListener("visibilitychange", () => !document.hidden && pollInbox());
    S.bind({
      onReady: ready,
      onSignedOut: () => {
        $("work-view").hidden = true;
        $("inbox").hidden = true;
        $("inbox-btn").hidden = true;
        clearTimeout(inboxTimer);
        current = null;
      },
    });
  });
})();
