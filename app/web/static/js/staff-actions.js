// The actions on a tip's record (police page): what the role and the record allow, each a
// button or a small form. An endpoint this server does not have (404/405, see TB.caps) hides
// its control; nothing else on the page changes.
"use strict";

TB.addTexts({
  "act.acknowledge": ["Thông báo đã tiếp nhận", "Acknowledge receipt"],
  "act.claim": ["Nhận xử lý", "Claim"],
  "act.assign": ["Giao cho cán bộ", "Assign"],
  "act.assignee": ["Cán bộ được giao", "Officer"],
  "act.transition": ["Chuyển trạng thái", "Change status"],
  "act.to": ["Trạng thái mới", "New status"],
  "act.outcome": ["Kết quả (khi kết thúc)", "Outcome (when resolving)"],
  "act.outcome_summary": ["Tóm tắt kết quả cho người báo tin", "Outcome summary for the reporter"],
  "act.public_message": ["Lời nhắn cho người báo tin (không bắt buộc)", "Line for the reporter (optional)"],
  "act.nopublic": [
    "Máy chủ này chưa nhận lời nhắn cho người báo tin khi chuyển trạng thái: trạng thái chưa đổi, hãy thực hiện lại không kèm lời nhắn.",
    "This server does not take a line for the reporter with a status change: nothing changed; apply again without it.",
  ],
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
  "act.tip_type": ["Loại tin", "Kind of tip"],
  "act.urgent": ["Khẩn cấp", "Urgent"],
  "act.priority": ["Mức ưu tiên (số)", "Priority (a number)"],
  "act.commune": ["Mã xã/phường nơi xảy ra", "Commune code of the place"],
  "act.upload": ["Thêm tệp vào hồ sơ", "Add files to the record"],
  "act.files": ["Tệp (ảnh xác minh, biên bản đã ký, ghi âm…)", "Files (verification photos, signed record, recording…)"],
  "act.reveal": ["Xem danh tính người báo tin", "Reveal the reporter"],
  "act.print": ["In biên bản tiếp nhận", "Print the intake record"],
  "act.register": ["In sổ tiếp nhận của đơn vị", "Print the unit's register"],
  "act.submit": ["Thực hiện", "Apply"],
  "act.keep": ["— không đổi —", "— unchanged —"],
  "act.mergehere": ["Gộp tin báo này vào {ref}", "Merge this tip into {ref}"],
  "tiptype.to_giac": ["Tố giác về tội phạm", "Denunciation of a crime"],
  "tiptype.tin_bao": ["Tin báo về tội phạm", "Report of a crime"],
  "tiptype.kien_nghi_khoi_to": ["Kiến nghị khởi tố", "Request to prosecute"],
  "tiptype.phan_anh": ["Phản ánh về an ninh, trật tự", "Security and order report"],
});

const TBActions = (() => {
  const $ = (id) => document.getElementById(id);
  const S = TBSession;
  const LEADS = ["unit_lead", "province_supervisor", "admin"];
  const TIP_TYPES = ["to_giac", "tin_bao", "kien_nghi_khoi_to", "phan_anh"];
  const OUTCOMES = { crime: ["prosecuted", "not_prosecuted", "suspended"], security_order: ["handled", "mediated", "unfounded", "noted"] };
  const registers = {}; // unit code → true (the register answers) | false
  let page = null; // {tip(), reopen(), categories(), catName(code), people(unit)}
  let box = null;
  let finished = null; // the action that just succeeded: its form closes on the next drawing
  let drawnFor = null; // the tip the forms were drawn for

  const say = (text, kind) => TB.say($("action-status"), text, kind);
  const tip = () => page.tip();
  const post = (path, json) => S.api(`/tips/${tip().id}${path}`, { method: "POST", json });
  const compact = (obj) => Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== "" && v !== undefined));
  const endOfDay = (day) => `${day}T23:59:59+07:00`;

  // Run an action; `cap` names its endpoint, hidden from then on when the server lacks it.
  async function run(call, { cap = null, reload = true, key = null } = {}) {
    say("");
    try {
      const answer = await call();
      finished = key;
      if (reload) await page.reopen();
      finished = null;
      say(TB.t("common.done"), "ok");
      return answer;
    } catch (err) {
      if (cap && TB.caps.lost(cap, err)) render();
      say(err.unavailable ? TB.t("common.unavailable") : TB.problemText(err), "error");
      return null;
    }
  }

  function input(id, f) {
    if (f.type === "textarea") return TB.el("textarea", { id, rows: 2, required: f.required, maxlength: 5000 });
    if (f.type === "select") {
      const select = TB.el("select", { id, required: f.required });
      for (const [value, label] of f.options) select.append(TB.el("option", { value, text: label }));
      return select;
    }
    if (f.type === "file") return TB.el("input", { id, type: "file", multiple: true, required: f.required });
    return TB.el("input", { id, type: f.type || "text", required: f.required, autocomplete: "off" });
  }

  // One action: a disclosure with a small form. fields: [{name, key, type, options, required}]
  function form(key, fields, submit, cap = null, reload = true) {
    const formId = `act-${key.replace(".", "-")}`;
    const node = TB.el("form", { id: formId });
    for (const f of fields) {
      const id = `${formId}-${f.name}`;
      node.append(TB.el("label", { for: id, text: TB.t(f.key) }), input(id, f));
    }
    node.append(TB.el("button", { type: "submit", class: "primary", text: TB.t("act.submit") }));
    node.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = {};
      for (const f of fields) {
        const field = $(`${formId}-${f.name}`);
        values[f.name] = f.type === "file" ? Array.from(field.files) : field.value.trim();
      }
      run(() => submit(values), { cap, reload, key });
    });
    return TB.el("details", { dataset: { action: key } }, TB.el("summary", { text: TB.t(key) }), node);
  }

  function button(key, call, cap = null) {
    return TB.el("button", { type: "button", dataset: { action: key }, text: TB.t(key), on: { click: () => run(call, { cap }) } });
  }

  // A PDF the API serves to a signed-in caller: fetched with the token, opened as a blob.
  async function openPdf(path, cap, headers = {}) {
    try {
      const response = await TB.api(path, { headers: { ...S.auth(), ...headers }, raw: true });
      const url = URL.createObjectURL(await response.blob());
      window.open(url, "_blank", "noopener");
      setTimeout(() => URL.revokeObjectURL(url), 120000);
    } catch (err) {
      if (TB.caps.lost(cap, err)) render();
      say(err.unavailable ? TB.t("common.unavailable") : TB.problemText(err), "error");
    }
  }

  // The unit's register (GET, no side effect) is asked once per unit: its button shows only
  // when the server answers it. A unit whose register the caller may not read (a tip moved
  // to another unit answers 404 there) hides the button for that unit only, never for all.
  function registerButton(unit) {
    const year = new Date().getFullYear();
    const path = `/units/${encodeURIComponent(unit)}/register?year=${year}`;
    const node = TB.el("button", {
      type: "button",
      dataset: { action: "act.register", unit },
      hidden: registers[unit] !== true,
      text: TB.t("act.register"),
      on: { click: () => openPdf(path, "register", { Accept: "application/pdf" }) },
    });
    if (!(unit in registers)) {
      registers[unit] = false;
      S.api(`${path}&limit=1`)
        .then(() => {
          registers[unit] = true;
          // the record may have been drawn again meanwhile: show the button now on the page
          for (const shown of document.querySelectorAll('button[data-action="act.register"]')) {
            if (shown.dataset.unit === unit) shown.hidden = false;
          }
        })
        .catch(() => {
          registers[unit] = false;
        });
    }
    return node;
  }

  function transition(t) {
    const outcomes = OUTCOMES[t.kind] || [];
    const fields = [
      { name: "to", key: "act.to", type: "select", required: true, options: t.allowed_transitions.map((s) => [s, TB.statusLabel(s)]) },
      { name: "outcome", key: "act.outcome", type: "select", options: [["", "—"], ...outcomes.map((o) => [o, TB.t(`outcome.${o}`)])] },
      { name: "outcome_summary", key: "act.outcome_summary", type: "textarea" },
      { name: "note", key: "act.note", type: "textarea" },
    ];
    if (TB.caps.has("public_message")) fields.push({ name: "public_message", key: "act.public_message", type: "textarea" });
    return form("act.transition", fields, async (v) => {
      try {
        return await post("/transitions", compact(v));
      } catch (err) {
        // A server without the field refuses it by name (extra fields are forbidden).
        const refused = (err.problem.errors || []).some((e) => (e.field || "").endsWith("public_message"));
        if (err.status === 422 && v.public_message && refused) {
          TB.caps.drop("public_message");
          render();
          err.problem = { detail: TB.t("act.nopublic") };
        }
        throw err;
      }
    });
  }

  function correction(me, t) {
    const keep = ["", TB.t("act.keep")];
    const fields = [{ name: "category_code", key: "detail.category", type: "select", options: [keep, ...page.categories().map((c) => [c.code, page.catName(c.code)])] }];
    if (LEADS.includes(me.role)) fields.push({ name: "tip_type", key: "act.tip_type", type: "select", options: [keep, ...TIP_TYPES.map((x) => [x, TB.t(`tiptype.${x}`)])] });
    fields.push(
      { name: "urgent", key: "act.urgent", type: "select", options: [keep, ["true", TB.t("common.yes")], ["false", TB.t("common.no")]] },
      { name: "priority", key: "act.priority", type: "number" },
      { name: "commune_code", key: "act.commune" },
      { name: "reason", key: "act.reason", type: "textarea", required: true }
    );
    return form(
      "act.correct",
      fields,
      (v) => {
        const body = compact({ category_code: v.category_code, tip_type: v.tip_type, reason: v.reason });
        if (v.urgent) body.urgent = v.urgent === "true";
        if (v.priority) body.priority = Number(v.priority);
        if (v.commune_code) body.location = { commune_code: v.commune_code };
        return post("/corrections", body);
      },
      "corrections"
    );
  }

  function upload() {
    return form(
      "act.upload",
      [{ name: "files", key: "act.files", type: "file", required: true }],
      (v) => {
        const data = new FormData();
        for (const f of v.files) data.append("files", f, f.name);
        return S.upload(`/tips/${tip().id}/attachments`, data);
      },
      "attachments"
    );
  }

  function simple(t) {
    const row = TB.el("div", { class: "row" });
    if ("acknowledged_at" in t && !t.acknowledged_at && TB.caps.has("acknowledge")) row.append(button("act.acknowledge", () => post("/acknowledge"), "acknowledge"));
    if (!t.assignee) row.append(button("act.claim", () => post("/claim")));
    if (TB.caps.has("intake-record")) {
      row.append(
        TB.el("button", { type: "button", dataset: { action: "act.print" }, text: TB.t("act.print"), on: { click: () => openPdf(`/tips/${t.id}/intake-record.pdf`, "intake-record") } })
      );
    }
    if (t.assigned_unit && TB.caps.has("register")) row.append(registerButton(t.assigned_unit.code));
    return row;
  }

  // What the officer has open or typed in the forms, so that drawing the record again (after
  // any reload of the tip) does not close a form under their hands or lose what they typed.
  function keep() {
    const open = new Set(Array.from(box.querySelectorAll("details[open]"), (d) => d.dataset.action));
    const typed = Array.from(box.querySelectorAll("input:not([type=file]), select, textarea"), (f) => [f.id, f.value]);
    return { open, typed };
  }

  function restore({ open, typed }) {
    open.delete(finished);
    for (const d of box.querySelectorAll("details")) if (open.has(d.dataset.action)) d.open = true;
    for (const [id, value] of typed) {
      const field = id && document.getElementById(id);
      const done = finished && field && field.closest(`details[data-action="${finished}"]`);
      if (field && box.contains(field) && !done) field.value = value;
    }
  }

  function render() {
    if (!box) return;
    const me = S.me;
    const t = page && page.tip();
    const kept = t && drawnFor === t.id ? keep() : null;
    TB.clear(box);
    drawnFor = t ? t.id : null;
    if (!me || !t || me.role === "analyst") return;
    box.append(simple(t));
    if ((t.allowed_transitions || []).length) box.append(transition(t));
    const people = t.assigned_unit ? page.people(t.assigned_unit.code) : null;
    const assignee = people && people.length ? { name: "assignee_id", key: "act.assignee", type: "select", required: true, options: people } : { name: "assignee_id", key: "act.assignee", required: true };
    box.append(form("act.assign", [assignee], (v) => post("/assign", v)));
    box.append(form("act.note", [{ name: "body", key: "act.body", type: "textarea", required: true }], (v) => post("/notes", v)));
    if (TB.caps.has("attachments")) box.append(upload());
    if (TB.caps.has("corrections")) box.append(correction(me, t));
    const transfer = [
      { name: "unit_code", key: "act.unit_code", required: true },
      { name: "reason", key: "act.reason", type: "textarea", required: true },
    ];
    box.append(form("act.transfer", transfer, (v) => post("/transfer", v)));
    box.append(form("act.merge", [{ name: "into_id", key: "act.into_id", required: true }, { name: "note", key: "act.note", type: "textarea" }], (v) => post("/merge", compact(v))));
    const extend = [
      { name: "until", key: "act.until", type: "date", required: true },
      { name: "reason", key: "act.reason", type: "textarea", required: true },
      { name: "decision_ref", key: "act.decision_ref" },
    ];
    box.append(form("act.extend", extend, (v) => post("/deadline-extensions", compact({ ...v, until: endOfDay(v.until) }))));
    if (LEADS.includes(me.role) && t.reporter && t.reporter.masked) {
      box.append(
        form(
          "act.reveal",
          [{ name: "reason", key: "act.reason", type: "textarea", required: true }],
          async (v) => {
            const answer = await post("/reporter/reveal", v);
            page.tip().reporter = answer.reporter;
            page.rerender();
            return answer;
          },
          null,
          false
        )
      );
    }
    if (kept) restore(kept);
    finished = null;
  }

  // The merge offered next to a possible duplicate.
  function mergeInto(other) {
    return run(() => post("/merge", { into_id: other.id }));
  }

  function init(hooks, node) {
    page = hooks;
    box = node;
  }

  return { init, render, run, mergeInto };
})();
