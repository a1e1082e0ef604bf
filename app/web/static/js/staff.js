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
  "act.acknowledge": ["Thông báo đã tiếp nhận", "Acknowledge receipt"],
  "act.claim": ["Nhận xử lý", "Claim"],
  "act.assign": ["Giao cho cán bộ", "Assign"],
  "act.assignee": ["Cán bộ được giao", "Officer"],
  "act.transition": ["Chuyển trạng thái", "Change status"],
  "act.to": ["Trạng thái mới", "New status"],
  "act.outcome": ["Kết quả (khi kết thúc)", "Outcome (when resolving)"],
  "act.outcome_summary": ["Tóm tắt kết quả cho người báo tin", "Outcome summary for the reporter"],
  "act.public_message": ["Lời nhắn cho người báo tin (không bắt buộc)", "Line for the reporter (optional)"],
  "act.note": ["Ghi chú nội bộ", "Internal note"],
  "act.body": ["Nội dung", "Text"],
  "act.transfer": ["Chuyển đơn vị khác", "Transfer"],
  "act.unit_code": ["Mã đơn vị nhận", "Receiving unit code"],
  "act.reason": ["Lý do", "Reason"],
  "act.merge": ["Gộp vào tin báo khác", "Merge into another tip"],
  "act.into_id": ["Mã (id) tin báo giữ lại", "Id of the tip to keep"],
  "act.extend": ["Gia hạn", "Extend the deadline"],
  "act.until": ["Đến ngày", "Until"],
  "act.decision_ref": ["Số quyết định của Viện kiểm sát (lần 2)", "Procuracy decision (second extension)"],
  "act.correct": ["Sửa thông tin tiếp nhận", "Correct intake data"],
  "act.reveal": ["Xem danh tính người báo tin", "Reveal the reporter"],
  "act.print": ["In biên bản tiếp nhận", "Print the intake record"],
  "act.register": ["In sổ tiếp nhận của đơn vị", "Print the unit's register"],
  "act.submit": ["Thực hiện", "Apply"],
  "act.keep": ["— không đổi —", "— unchanged —"],
  "act.mergehere": ["Gộp tin báo này vào {ref}", "Merge this tip into {ref}"],
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

  const LEADS = ["unit_lead", "province_supervisor", "admin"];
  const STATUSES = ["received", "verifying", "in_progress", "awaiting_info", "suspended", "referred", "resolved", "rejected", "merged"];
  const OUTCOMES = { crime: ["prosecuted", "not_prosecuted", "suspended"], security_order: ["handled", "mediated", "unfounded", "noted"] };
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

  async function loadQueue(more = false) {
    const p = queueQuery();
    if (more && cursor) p.set("cursor", cursor);
    try {
      const page = await S.api(`/tips?${p}`);
      items = more ? items.concat(page.items) : page.items;
      cursor = page.next_cursor;
      renderQueue();
    } catch (err) {
      TB.say($("queue-status"), TB.problemText(err), "error");
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
            text: `${a.filename} (${a.content_type}, ${TB.fmtSize(a.size)})`,
            on: { click: () => TB.downloadWith(`/tips/${tip.id}/attachments/${a.id}`, S.auth(), a.filename) },
          })
        )
      );
    }
    renderActions();
  }

  async function loadSide(tip) {
    const [events, messages, similar] = await Promise.allSettled([
      S.api(`/tips/${tip.id}/events`),
      S.api(`/tips/${tip.id}/messages?limit=100`),
      S.api(`/tips/${tip.id}/similar`),
    ]);
    const tl = TB.clear($("d-timeline"));
    const evs = events.status === "fulfilled" ? events.value.items || events.value : tip.timeline || [];
    for (const ev of evs) {
      const key = `ev.${ev.type}`;
      const name = TB.t(key) === key ? ev.type : TB.t(key);
      const what = ev.to_status ? `${name}: ${ev.from_status ? TB.statusLabel(ev.from_status) + " → " : ""}${TB.statusLabel(ev.to_status)}` : name;
      tl.append(TB.el("li", {}, TB.el("time", { datetime: ev.at, text: `${TB.fmtTime(ev.at)} · ${ev.actor ? ev.actor.label : ""}` }), TB.el("span", { text: what }), ev.note ? TB.el("p", { text: ev.note }) : null));
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
    if (similar.status !== "fulfilled") sl.append(TB.el("li", { text: similar.reason.unavailable ? TB.t("common.unavailable") : TB.problemText(similar.reason) }));
    else if (!similar.value.length) sl.append(TB.el("li", { text: TB.t("detail.none") }));
    else
      for (const s of similar.value) {
        sl.append(
          TB.el(
            "li",
            {},
            TB.el("button", { type: "button", class: "link", text: `${s.reference} · ${TB.statusLabel(s.status)} · ${TB.t("detail.score", { s: Math.round(s.score * 100) + "%" })}`, on: { click: () => openTip(s.id) } }),
            TB.el("button", { type: "button", class: "link", text: TB.t("act.mergehere", { ref: s.reference }), on: { click: () => runAction(() => S.api(`/tips/${tip.id}/merge`, { method: "POST", json: { into_id: s.id } })) } })
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

  async function runAction(call, reload = true) {
    try {
      const answer = await call();
      TB.say($("action-status"), TB.t("common.done"), "ok");
      if (reload && current) {
        const id = current.id;
        await openTip(id);
        TB.say($("action-status"), TB.t("common.done"), "ok");
        loadQueue();
      }
      return answer;
    } catch (err) {
      TB.say($("action-status"), err.unavailable ? TB.t("common.unavailable") : TB.problemText(err), "error");
      return null;
    }
  }

  // One action: a disclosure with a small form. fields: [{name, key, type, options, required}]
  function actionForm(key, fields, submit) {
    const formId = `act-${key.replace(".", "-")}`;
    const form = TB.el("form", { id: formId });
    for (const f of fields) {
      const id = `${formId}-${f.name}`;
      form.append(TB.el("label", { for: id, text: TB.t(f.key) }));
      let input;
      if (f.type === "textarea") input = TB.el("textarea", { id, rows: 2, required: f.required, maxlength: 5000 });
      else if (f.type === "select") {
        input = TB.el("select", { id, required: f.required });
        for (const [value, label] of f.options) input.append(TB.el("option", { value, text: label }));
      } else input = TB.el("input", { id, type: f.type || "text", required: f.required, autocomplete: "off" });
      form.append(input);
    }
    form.append(TB.el("button", { type: "submit", class: "primary", text: TB.t("act.submit") }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = {};
      for (const f of fields) values[f.name] = $(`${formId}-${f.name}`).value.trim();
      runAction(() => submit(values));
    });
    return TB.el("details", {}, TB.el("summary", { text: TB.t(key) }), form);
  }

  function button(key, call, reload = true) {
    return TB.el("button", { type: "button", text: TB.t(key), on: { click: () => runAction(call, reload) } });
  }

  const post = (path, json) => S.api(`/tips/${current.id}${path}`, { method: "POST", json });
  const endOfDay = (day) => `${day}T23:59:59+07:00`;
  const compact = (obj) => Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== "" && v !== undefined));

  async function openPdf(path, headers = {}) {
    try {
      const response = await TB.api(path, { headers: { ...S.auth(), ...headers }, raw: true });
      const url = URL.createObjectURL(await response.blob());
      window.open(url, "_blank", "noopener");
      setTimeout(() => URL.revokeObjectURL(url), 120000);
    } catch (err) {
      TB.say($("action-status"), err.unavailable ? TB.t("common.unavailable") : TB.problemText(err), "error");
    }
  }

  function renderActions() {
    const box = TB.clear($("d-actions"));
    const me = S.me;
    const tip = current;
    if (!me || me.role === "analyst") return;
    const row = TB.el("div", { class: "row" });
    if (!tip.acknowledged_at) row.append(button("act.acknowledge", () => post("/acknowledge")));
    if (!tip.assignee) row.append(button("act.claim", () => post("/claim")));
    row.append(TB.el("button", { type: "button", text: TB.t("act.print"), on: { click: () => openPdf(`/tips/${tip.id}/intake-record.pdf`) } }));
    if (tip.assigned_unit) {
      row.append(
        TB.el("button", {
          type: "button",
          text: TB.t("act.register"),
          on: { click: () => openPdf(`/units/${encodeURIComponent(tip.assigned_unit.code)}/register?year=${new Date().getFullYear()}`, { Accept: "application/pdf" }) },
        })
      );
    }
    box.append(row);
    const allowed = tip.allowed_transitions || [];
    if (allowed.length) {
      const outcomes = OUTCOMES[tip.kind] || [];
      box.append(
        actionForm(
          "act.transition",
          [
            { name: "to", key: "act.to", type: "select", required: true, options: allowed.map((s) => [s, TB.statusLabel(s)]) },
            { name: "outcome", key: "act.outcome", type: "select", options: [["", "—"], ...outcomes.map((o) => [o, o])] },
            { name: "outcome_summary", key: "act.outcome_summary", type: "textarea" },
            { name: "note", key: "act.note", type: "textarea" },
            { name: "public_message", key: "act.public_message", type: "textarea" },
          ],
          (v) => post("/transitions", compact(v))
        )
      );
    }
    const people = tip.assigned_unit ? unitUsers[tip.assigned_unit.code] : null;
    const assignee = people && people.length
      ? { name: "assignee_id", key: "act.assignee", type: "select", required: true, options: people }
      : { name: "assignee_id", key: "act.assignee", required: true };
    box.append(actionForm("act.assign", [assignee], (v) => post("/assign", v)));
    box.append(actionForm("act.note", [{ name: "body", key: "act.body", type: "textarea", required: true }], (v) => post("/notes", v)));
    box.append(
      actionForm(
        "act.transfer",
        [
          { name: "unit_code", key: "act.unit_code", required: true },
          { name: "reason", key: "act.reason", type: "textarea", required: true },
        ],
        (v) => post("/transfer", v)
      )
    );
    box.append(
      actionForm(
        "act.merge",
        [
          { name: "into_id", key: "act.into_id", required: true },
          { name: "note", key: "act.note", type: "textarea" },
        ],
        (v) => post("/merge", compact(v))
      )
    );
    box.append(
      actionForm(
        "act.extend",
        [
          { name: "until", key: "act.until", type: "date", required: true },
          { name: "reason", key: "act.reason", type: "textarea", required: true },
          { name: "decision_ref", key: "act.decision_ref" },
        ],
        (v) => post("/deadline-extensions", compact({ ...v, until: endOfDay(v.until) }))
      )
    );
    box.append(
      actionForm(
        "act.correct",
        [
          { name: "category_code", key: "detail.category", type: "select", options: [["", TB.t("act.keep")], ...categories.map((c) => [c.code, catName(c.code)])] },
          { name: "reason", key: "act.reason", type: "textarea", required: true },
        ],
        (v) => post("/corrections", compact(v))
      )
    );
    if (LEADS.includes(me.role) && tip.reporter && tip.reporter.masked) {
      const reveal = actionForm("act.reveal", [{ name: "reason", key: "act.reason", type: "textarea", required: true }], async (v) => {
        const answer = await post("/reporter/reveal", v);
        current.reporter = answer.reporter;
        return answer;
      });
      box.append(reveal);
    }
  }

  async function sendReply(event) {
    event.preventDefault();
    const body = $("reply-body").value.trim();
    if (!body || !current) return;
    const chosen = Array.from($("reply-files").files);
    await runAction(async () => {
      if (chosen.length) {
        const form = new FormData();
        form.append("message", new Blob([JSON.stringify({ body })], { type: "application/json" }));
        for (const f of chosen) form.append("files", f, f.name);
        try {
          await S.upload(`/tips/${current.id}/messages`, form);
        } catch (err) {
          // A server whose staff messages take JSON only refuses the multipart body.
          if ([400, 415, 422].includes(err.status)) err.problem = { detail: TB.t("detail.nofiles") };
          throw err;
        }
      } else await post("/messages", { body });
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
