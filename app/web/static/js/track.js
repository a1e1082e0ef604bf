// Follow-up page (/track). The receipt is typed or pasted, sent only in the X-Tip-Receipt
// header, kept in memory, and stored (localStorage) only when "remember" is ticked.
"use strict";

TB.addTexts({
  "track.title": ["Theo dõi tin báo", "Follow up a report"],
  "track.receipt": ["Mã theo dõi (nhập hoặc dán)", "Receipt (type or paste)"],
  "track.receipthelp": [
    "Mã có dạng XXXX-XXXX-XXXX-XXXX-XXXX, được cấp khi bạn gửi tin báo.",
    "It looks like XXXX-XXXX-XXXX-XXXX-XXXX and was given when you sent the report.",
  ],
  "track.remember": [
    "Ghi nhớ mã trên thiết bị này (chỉ khi đây là thiết bị riêng của bạn)",
    "Remember the receipt on this device (only if the device is yours alone)",
  ],
  "track.open": ["Xem tin báo", "Open"],
  "track.forget": ["Quên mã trên thiết bị này", "Forget the receipt on this device"],
  "track.forgotten": ["Đã xóa mã khỏi thiết bị này.", "The receipt was removed from this device."],
  "track.notfound": [
    "Không tìm thấy tin báo với mã này. Hãy kiểm tra lại từng ký tự.",
    "No report has this receipt. Check every character.",
  ],
  "track.heading": ["Tin báo {ref}", "Report {ref}"],
  "track.status": ["Tình trạng", "Status"],
  "track.created": ["Ngày gửi", "Sent"],
  "track.updated": ["Cập nhật", "Updated"],
  "track.outcome": ["Kết quả", "Outcome"],
  "track.timeline": ["Quá trình xử lý", "Progress"],
  "track.conversation": ["Trao đổi với cơ quan công an", "Conversation with the police"],
  "track.addinfo": ["Bổ sung thông tin", "Add information"],
  "track.files": ["Đính kèm tệp (không bắt buộc)", "Attach files (optional)"],
  "track.you": ["Bạn", "You"],
  "track.police": ["Cơ quan công an", "Police"],
  "track.nomessages": ["Chưa có trao đổi nào.", "No messages yet."],
  "track.requests": ["Yêu cầu khác", "Other requests"],
  "track.complaint": ["Khiếu nại kết quả giải quyết", "Complain about the outcome"],
  "track.complaintbody": ["Nội dung khiếu nại", "Your complaint"],
  "track.complaintuntil": ["Bạn có thể khiếu nại đến hết ngày {at}.", "You may complain until the end of {at}."],
  "track.complaintfiled": ["Đã nhận khiếu nại của bạn lúc {at}.", "Your complaint was received at {at}."],
  "track.protection": ["Đề nghị bảo vệ người tố giác", "Ask for protection"],
  "track.protectionbody": ["Vì sao bạn cần được bảo vệ", "Why you need protection"],
  "track.privacy": ["Yêu cầu về dữ liệu cá nhân", "Requests about your personal data"],
  "track.privacykind": ["Loại yêu cầu", "Kind of request"],
  "privacy.access": ["Xem dữ liệu của tôi", "See my data"],
  "privacy.correction": ["Sửa dữ liệu của tôi", "Correct my data"],
  "privacy.erasure": ["Xóa dữ liệu của tôi", "Erase my data"],
  "privacy.item": ["{kind}: {status}, trả lời trước {at}", "{kind}: {status}, answer by {at}"],
  "privacy.fields": ["Thông tin đúng (chỉ điền mục cần sửa)", "The right details (fill in only what changes)"],
  "privacy.name": ["Họ và tên", "Full name"],
  "privacy.phone": ["Số điện thoại", "Phone"],
  "privacy.email": ["Thư điện tử", "E-mail"],
  "privacy.address": ["Địa chỉ", "Address"],
  "privacy.nofields": ["Hãy điền ít nhất một mục cần sửa.", "Fill in at least one detail to correct."],
  "privacy.pending": ["đang chờ trả lời", "waiting for an answer"],
  "privacy.acknowledged": ["đã tiếp nhận", "taken up"],
  "privacy.completed": ["đã thực hiện", "done"],
  "privacy.refused": ["bị từ chối", "refused"],
  "privacy.held": ["Dữ liệu đang lưu: {data}", "Data held: {data}"],
  "privacy.nothing": ["không còn dữ liệu nào", "nothing any more"],
  "track.notify": ["Ngừng nhận thông báo", "Stop notices"],
  "track.notifyhelp": [
    "Xóa địa chỉ nhận thông báo đã cho và ngừng gửi thông báo về tin báo này.",
    "Erase the notice contact you gave and stop notices about this report.",
  ],
  "track.notifystop": ["Ngừng và xóa địa chỉ", "Stop and erase the contact"],
  "track.close": ["Đóng (xóa mã khỏi trang)", "Close (clear the receipt from the page)"],
  "track.protectionexists": ["Bạn đã gửi đề nghị bảo vệ: {status}", "You asked for protection: {status}"],
  "protection.received": ["đã tiếp nhận", "received"],
  "protection.open": ["đang xem xét", "under consideration"],
  "protection.pending": ["đang xem xét", "under consideration"],
  "protection.granted": ["đã áp dụng biện pháp bảo vệ", "protection granted"],
  "protection.ended": ["đã kết thúc biện pháp bảo vệ", "protection ended"],
  "protection.refused": ["không áp dụng", "refused"],
  "protection.closed": ["đã kết thúc", "closed"],
});

(() => {
  const $ = (id) => document.getElementById(id);
  const STORE_KEY = "tinbao.receipt";
  let receipt = null; // in memory only
  let tip = null;

  const headers = () => ({ "X-Tip-Receipt": receipt });
  const normalise = (text) => text.toUpperCase().replace(/[^0-9A-Z]/g, "").replace(/(.{4})(?=.)/g, "$1-");

  function renderTip() {
    if (!tip) return;
    $("tip-heading").textContent = TB.t("track.heading", { ref: tip.reference });
    $("t-status").textContent = TB.statusLabel(tip.public_status);
    $("t-unit").textContent = tip.assigned_unit ? tip.assigned_unit.name : "";
    $("t-created").textContent = TB.fmtTime(tip.created_at);
    $("t-updated").textContent = TB.fmtTime(tip.updated_at);
    $("t-outcome").textContent = tip.outcome_summary || "—";
    // A complaint is possible only while /track shows its deadline (after a not_prosecuted
    // outcome, within 15 days of the notice); a server without complaints hides it too.
    const deadline = $("t-complaint-deadline");
    const canComplain = Boolean(tip.complaint_deadline) && TB.caps.has("complaints");
    deadline.hidden = !tip.complaint_deadline;
    if (tip.complaint_deadline) deadline.textContent = TB.t("track.complaintuntil", { at: TB.fmtDate(tip.complaint_deadline) });
    const filed = (tip.complaints || []).map((c) => TB.t("track.complaintfiled", { at: TB.fmtTime(c.filed_at) }));
    TB.say($("complaints-filed"), filed.join(" "));
    $("complaint-box").hidden = !canComplain;
    $("protection-box").hidden = !TB.caps.has("protection");
    $("notify-box").hidden = !TB.caps.has("notify");
    $("privacy-box").hidden = !TB.caps.has("privacy");
    const list = TB.clear($("t-timeline"));
    for (const item of tip.timeline || []) {
      list.append(
        TB.el("li", {}, TB.el("time", { datetime: item.at, text: TB.fmtTime(item.at) }), TB.el("strong", { text: TB.statusLabel(item.public_status) }), item.message ? TB.el("p", { text: item.message }) : null)
      );
    }
    const protection = tip.protection_request || (tip.protection_requests || []).slice(-1)[0];
    if (protection) {
      const status = TB.t(`protection.${protection.status}`);
      TB.say($("protection-state"), TB.t("track.protectionexists", { status: status.startsWith("protection.") ? protection.status || "" : status }));
    }
  }

  function renderMessages(messages) {
    const list = TB.clear($("t-messages"));
    if (!messages.length) list.append(TB.el("li", { text: TB.t("track.nomessages") }));
    for (const m of messages) {
      const mine = m.direction === "from_reporter";
      const files = (m.attachments || []).map((a) =>
        TB.el("button", {
          type: "button",
          class: "link",
          text: `${TB.t("common.download")} ${a.filename} (${TB.fmtSize(a.size)})`,
          on: { click: () => TB.downloadWith(`/track/attachments/${encodeURIComponent(a.id)}`, headers(), a.filename) },
        })
      );
      list.append(
        TB.el(
          "li",
          { class: mine ? "mine" : "theirs" },
          TB.el("div", { class: "meta", text: `${mine ? TB.t("track.you") : TB.t("track.police")} · ${TB.fmtTime(m.at)}` }),
          TB.el("p", { text: m.body }),
          files
        )
      );
    }
  }

  async function loadMessages() {
    const items = [];
    let cursor = null;
    do {
      const page = await TB.api(`/track/messages?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { headers: headers() });
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    items.sort((a, b) => (a.at < b.at ? -1 : 1));
    renderMessages(items);
  }

  async function loadPrivacy() {
    const list = TB.clear($("privacy-list"));
    try {
      const page = await TB.api("/track/privacy-requests", { headers: headers() });
      for (const r of page.items || page) {
        const status = TB.t(`privacy.${r.status}`);
        const item = TB.el("li", { text: TB.t("privacy.item", { kind: TB.t(`privacy.${r.kind}`), status: status.startsWith("privacy.") ? r.status : status, at: TB.fmtTime(r.answer_by) }) });
        if (r.refusal_message) item.append(TB.el("p", { text: r.refusal_message }));
        if (r.kind === "access" && r.status === "completed") {
          const held = Object.values(r.contact_data || {}).filter(Boolean).join(" · ");
          item.append(TB.el("p", { text: TB.t("privacy.held", { data: held || TB.t("privacy.nothing") }) }));
        }
        list.append(item);
      }
    } catch (err) {
      /* the list is optional */
    }
  }

  async function open(event) {
    if (event) event.preventDefault();
    const typed = normalise($("receipt").value);
    if (!typed) return;
    receipt = typed;
    TB.say($("track-error"), "");
    try {
      tip = await TB.api("/track", { headers: headers() });
    } catch (err) {
      receipt = null;
      TB.say($("track-error"), err.status === 404 ? TB.t("track.notfound") : TB.problemText(err), "error");
      return;
    }
    if ($("remember").checked) localStorage.setItem(STORE_KEY, receipt);
    $("forget").hidden = !localStorage.getItem(STORE_KEY);
    $("receipt").value = "";
    renderTip();
    $("tip-view").hidden = false;
    $("tip-heading").focus();
    await loadMessages().catch((err) => renderMessages([]));
    loadPrivacy();
  }

  async function sendMessage(event) {
    event.preventDefault();
    const body = $("message-body").value.trim();
    if (!body) return;
    const chosen = Array.from($("message-files").files);
    const status = $("message-status");
    try {
      if (chosen.length) {
        const form = new FormData();
        form.append("message", new Blob([JSON.stringify({ body })], { type: "application/json" }));
        for (const f of chosen) form.append("files", f, f.name);
        $("message-progress").hidden = false;
        await TB.upload("/track/messages", form, {
          headers: headers(),
          onProgress: (loaded, total) => ($("message-progress").value = Math.round((loaded / total) * 100)),
        });
      } else {
        await TB.api("/track/messages", { method: "POST", headers: headers(), json: { body } });
      }
      $("message-body").value = "";
      $("message-files").value = "";
      TB.say(status, TB.t("common.sent"), "ok");
      await loadMessages();
    } catch (err) {
      TB.say(status, TB.problemText(err), "error");
    } finally {
      $("message-progress").hidden = true;
    }
  }

  // A request this server does not take: its section goes, the word stays outside it.
  function unavailable() {
    renderTip();
    TB.say($("requests-status"), TB.t("common.unavailable"), "error");
  }

  // Requests whose endpoints may not exist on this server yet: 404/405 says so plainly.
  function request(formId, path, statusId, payload, cap) {
    $(formId).addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = $(statusId);
      try {
        await TB.api(path, { method: "POST", headers: headers(), json: payload() });
        TB.say(status, TB.t("common.sent"), "ok");
        event.target.reset();
        tip = await TB.api("/track", { headers: headers() });
        renderTip();
        loadPrivacy();
      } catch (err) {
        TB.say(status, err.unavailable ? TB.t("common.unavailable") : TB.problemText(err), "error");
        if (TB.caps.lost(cap, err)) unavailable();
      }
    });
  }

  // A correction carries the corrected fields (the API refuses one without them).
  const PRIVACY_FIELDS = [["full_name", "privacy-name"], ["phone", "privacy-phone"], ["email", "privacy-email"], ["address", "privacy-address"]];
  function showPrivacyFields() {
    $("privacy-fields").hidden = $("privacy-kind").value !== "correction";
  }
  function privacyPayload() {
    const kind = $("privacy-kind").value;
    if (kind !== "correction") return { kind };
    const reporter = {};
    for (const [field, id] of PRIVACY_FIELDS) {
      const value = $(id).value.trim();
      if (value) reporter[field] = value;
    }
    if (!Object.keys(reporter).length) throw new TB.ApiError(0, { detail: TB.t("privacy.nofields") });
    return { kind, reporter };
  }

  function close() {
    receipt = null;
    tip = null;
    $("tip-view").hidden = true;
    TB.say($("protection-state"), "");
    TB.say($("requests-status"), "");
    TB.say($("complaints-filed"), "");
    TB.clear($("t-messages"));
    TB.clear($("t-timeline"));
    $("receipt").focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    TB.init();
    document.addEventListener("tb:lang", renderTip);
    $("receipt-form").addEventListener("submit", open);
    $("message-form").addEventListener("submit", sendMessage);
    request("complaint-form", "/track/complaints", "complaint-status", () => ({ body: $("complaint-body").value.trim() }), "complaints");
    request("protection-form", "/track/protection-requests", "protection-status", () => ({ body: $("protection-body").value.trim() }), "protection");
    request("privacy-form", "/track/privacy-requests", "privacy-status", privacyPayload, "privacy");
    $("privacy-kind").addEventListener("change", showPrivacyFields);
    $("privacy-form").addEventListener("reset", () => setTimeout(showPrivacyFields));
    $("notify-stop").addEventListener("click", async () => {
      try {
        await TB.api("/track/notify", { method: "DELETE", headers: headers() });
        TB.say($("notify-status"), TB.t("common.done"), "ok");
      } catch (err) {
        TB.say($("notify-status"), err.unavailable ? TB.t("common.unavailable") : TB.problemText(err), "error");
        if (TB.caps.lost("notify", err)) unavailable();
      }
    });
    $("forget").addEventListener("click", () => {
      localStorage.removeItem(STORE_KEY);
      $("forget").hidden = true;
      $("remember").checked = false;
      TB.say($("track-error"), TB.t("track.forgotten"), "ok");
    });
    $("close-tip").addEventListener("click", close);
    TB.registerOffline();
    const remembered = localStorage.getItem(STORE_KEY);
    if (remembered) {
      $("remember").checked = true;
      $("forget").hidden = false;
      $("receipt").value = remembered;
      open();
    }
  });
})();
