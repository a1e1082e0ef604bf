// Review page (/dashboard/): a period, charts by category, month, unit and outcome, the SLA
// table, a hotspot map on the shipped commune boundaries, the review workbook.
"use strict";

TB.addTexts({
  "dash.title": ["Tổng hợp tình hình tin báo", "Review of tips"],
  "dash.kind": ["Kỳ", "Period"],
  "dash.month": ["Tháng", "Month"],
  "dash.quarter": ["Quý", "Quarter"],
  "dash.half": ["6 tháng", "Half-year"],
  "dash.year": ["Năm", "Year"],
  "dash.eval_residential": ["Năm đánh giá khu dân cư (TT 124)", "Residential-area evaluation year (Circular 124)"],
  "dash.eval_commune": ["Năm đánh giá xã, cơ quan, trường học (TT 124)", "Commune/agency/school evaluation year (Circular 124)"],
  "dash.yearno": ["Năm", "Year"],
  "dash.part": ["Tháng / quý / nửa năm", "Month / quarter / half"],
  "dash.show": ["Xem", "Show"],
  "dash.all": ["Toàn quốc", "Whole country"],
  "dash.download": ["Tải sổ tổng hợp (Excel)", "Download the review workbook (Excel)"],
  "dash.tipsdownload": ["Tải danh sách tin báo trong kỳ (Excel)", "Download the period's tips (Excel)"],
  "dash.downloaded": ["Đã tải về.", "Downloaded."],
  "dash.bycategory": ["Theo loại vụ việc", "By category"],
  "dash.bymonth": ["Theo tháng", "By month"],
  "dash.byunit": ["Theo đơn vị", "By unit"],
  "dash.byoutcome": ["Theo kết quả", "By outcome"],
  "dash.sla": ["Thời hạn xử lý theo đơn vị", "Deadlines by unit"],
  "dash.map": ["Điểm nóng", "Hotspots"],
  "dash.maphelp": [
    "Mỗi vòng tròn là một ô lưới có ít nhất 5 tin báo; ranh giới xã/phường từ dữ liệu kèm theo, không cần bản đồ trực tuyến.",
    "Each circle is a grid cell with at least 5 tips; commune boundaries come with the application, no online map is needed.",
  ],
  "dash.nodata": ["Không có số liệu trong kỳ.", "No figures for this period."],
  "dash.nospots": ["Không có điểm nóng trong kỳ.", "No hotspots for this period."],
  "dash.group": ["Nhóm", "Group"],
  "dash.count": ["Số tin báo", "Tips"],
  "dash.table": ["Xem bảng số liệu", "Show the figures as a table"],
  "dash.total": ["Tổng số tin báo trong kỳ: {n}", "Tips in the period: {n}"],
  "dash.noaccess": ["Trang này dành cho lãnh đạo cấp tỉnh, phân tích viên và quản trị.", "This page is for supervisors, analysts and administrators."],
  "sla.unit": ["Đơn vị", "Unit"],
  "sla.received": ["Tiếp nhận", "Received"],
  "sla.on_time": ["Xong đúng hạn", "Resolved on time"],
  "sla.late": ["Xong quá hạn", "Resolved late"],
  "sla.overdue": ["Đang quá hạn", "Open overdue"],
  "sla.median": ["Trung vị giờ phản hồi đầu", "Median hours to first response"],
});

(() => {
  const $ = (id) => document.getElementById(id);
  const S = TBSession;
  const ROLES = ["province_supervisor", "analyst", "admin"];
  let categories = [];
  let unitNames = {};
  let last = null; // the last figures, for re-rendering on a language change

  function fillParts() {
    const kind = $("p-kind").value;
    const part = $("p-part");
    const chosen = part.value;
    TB.clear(part);
    const add = (value, text) => part.append(TB.el("option", { value, text }));
    if (kind === "month") for (let m = 1; m <= 12; m++) add(String(m).padStart(2, "0"), String(m));
    if (kind === "quarter") for (let q = 1; q <= 4; q++) add(`Q${q}`, `Q${q}`);
    if (kind === "half") for (let h = 1; h <= 2; h++) add(`H${h}`, `H${h}`);
    $("p-part-box").hidden = !["month", "quarter", "half"].includes(kind);
    if ([...part.options].some((o) => o.value === chosen)) part.value = chosen;
  }

  function period() {
    const kind = $("p-kind").value;
    const year = $("p-year").value;
    if (kind === "month") return `month:${year}-${$("p-part").value}`;
    if (kind === "quarter" || kind === "half") return `${kind}:${year}-${$("p-part").value}`;
    return `${kind}:${year}`;
  }

  function province() {
    return (S.me && S.me.province_code) || $("p-province").value || "";
  }

  function query(extra = {}) {
    const p = new URLSearchParams({ period: period(), ...extra });
    if (province()) p.set("province_code", province());
    return p;
  }

  const catName = (code) => {
    const c = categories.find((x) => x.code === code);
    return c ? (TB.lang === "en" ? c.name_en || c.name : c.name) : code || "—";
  };
  const outcomeName = (key) => (key ? TB.t(`outcome.${key}`) : TB.t("outcome.none"));

  function rowsOf(summary, labelFn) {
    return summary.groups.map((g) => ({ key: g.key ?? "", label: g.label || labelFn(g.key), count: g.count }));
  }

  function renderChart(id, result, labelFn, sortByKey = false) {
    const box = $(id);
    if (result.error) {
      TB.clear(box).append(TB.el("p", { text: result.error.unavailable || result.error.status === 422 ? TB.t("common.unavailable") : TB.problemText(result.error) }));
      return;
    }
    const rows = rowsOf(result.value, labelFn);
    if (sortByKey) rows.sort((a, b) => (a.key < b.key ? -1 : 1));
    const title = $(`${id}-title`).textContent;
    TBCharts.bars(box, rows, { caption: title });
    box.dataset.total = String(result.value.total);
  }

  function renderSla(result) {
    const box = TB.clear($("sla"));
    if (result.error) {
      box.append(TB.el("p", { text: TB.problemText(result.error) }));
      return;
    }
    const units = result.value.units || [];
    if (!units.length) {
      box.append(TB.el("p", { text: TB.t("dash.nodata") }));
      return;
    }
    const cols = [
      ["sla.received", "received"],
      ["sla.on_time", "resolved_on_time"],
      ["sla.late", "resolved_late"],
      ["sla.overdue", "open_overdue"],
      ["sla.median", "median_hours_to_first_response"],
    ];
    const head = TB.el("tr", {}, TB.el("th", { scope: "col", text: TB.t("sla.unit") }), cols.map(([k]) => TB.el("th", { scope: "col", class: "num", text: TB.t(k) })));
    const body = TB.el("tbody");
    for (const u of units) {
      body.append(
        TB.el(
          "tr",
          {},
          TB.el("th", { scope: "row", text: u.unit_name || u.unit_code }),
          cols.map(([, f]) => TB.el("td", { class: "num", text: u[f] === null || u[f] === undefined ? "—" : String(typeof u[f] === "number" && !Number.isInteger(u[f]) ? u[f].toFixed(1) : u[f]) }))
        )
      );
    }
    box.append(TB.el("table", {}, TB.el("caption", { class: "sr-only", text: TB.t("dash.sla") }), TB.el("thead", {}, head), body));
  }

  async function settle(promise) {
    try {
      return { value: await promise };
    } catch (error) {
      return { error };
    }
  }

  function render() {
    if (!last) return;
    const unitLabel = (code) => unitNames[code] || code || "—";
    renderChart("c-category", last.category, catName);
    renderChart("c-month", last.month, (k) => k || "—", true);
    renderChart("c-unit", last.unit, unitLabel);
    renderChart("c-outcome", last.outcome, outcomeName);
    renderSla(last.sla);
    if (last.category.value) TB.say($("dash-status"), TB.t("dash.total", { n: last.category.value.total }), "info");
    else TB.say($("dash-status"), TB.problemText(last.category.error), "error");
  }

  async function loadMap() {
    const box = $("map");
    const boundaryQuery = province() ? `?province_code=${province()}` : "";
    const [boundaries, hotspots] = await Promise.all([
      settle(TB.api(`/admin-units/boundaries${boundaryQuery}`)),
      settle(S.api(`/stats/hotspots?${query()}`)),
    ]);
    if (boundaries.error) {
      TB.clear(box).append(TB.el("p", { text: boundaries.error.unavailable ? TB.t("common.unavailable") : TB.problemText(boundaries.error) }));
      return;
    }
    TBCharts.map(box, boundaries.value, hotspots.value, { caption: $("map-title").textContent });
  }

  async function load(event) {
    if (event) event.preventDefault();
    TB.say($("dash-status"), TB.t("common.loading"));
    const summary = (group) => settle(S.api(`/stats/summary?${query({ group_by: group })}`));
    const [category, month, unit, outcome, sla] = await Promise.all([summary("category"), summary("month"), summary("unit"), summary("outcome"), settle(S.api(`/stats/sla?${query()}`))]);
    if (sla.value) for (const u of sla.value.units || []) unitNames[u.unit_code] = u.unit_name;
    last = { category, month, unit, outcome, sla };
    render();
    loadMap();
  }

  // The period's workbooks: the review (sơ kết/tổng kết) and the list of tips. A server
  // without one hides its button.
  async function download(kind) {
    const [path, name] = kind === "review" ? ["review.xlsx", "tong-hop"] : ["tips.xlsx", "tin-bao"];
    TB.say($("download-status"), TB.t("common.loading"));
    try {
      // tips.xlsx takes the queue's filters (no province: the caller's scope is the bound)
      const params = query();
      if (kind === "tips") params.delete("province_code");
      await TB.downloadWith(`/exports/${path}?${params}`, S.auth(), `${name}-${period().replace(":", "-")}.xlsx`);
      TB.say($("download-status"), TB.t("dash.downloaded"), "ok");
    } catch (err) {
      if (TB.caps.lost(path, err)) $(`${kind}-download`).hidden = true;
      TB.say($("download-status"), err.unavailable ? TB.t("common.unavailable") : TB.problemText(err), "error");
    }
  }

  async function ready(me) {
    if (!ROLES.includes(me.role)) {
      $("review-view").hidden = true;
      TB.say($("login-error"), TB.t("dash.noaccess"), "error");
      $("login-view").hidden = false;
      return;
    }
    $("review-view").hidden = false;
    const now = new Date();
    $("p-year").value = String(now.getFullYear());
    fillParts();
    $("p-part").value = String(now.getMonth() + 1).padStart(2, "0");
    try {
      categories = await TB.api("/categories");
    } catch (err) {
      categories = [];
    }
    if (!me.province_code) {
      $("p-province-box").hidden = false;
      const select = TB.clear($("p-province"));
      select.append(TB.el("option", { value: "", text: TB.t("dash.all") }));
      for (const p of await TB.api("/admin-units/provinces")) select.append(TB.el("option", { value: p.code, text: p.name }));
    }
    load();
  }

  document.addEventListener("DOMContentLoaded", () => {
    TB.init();
    document.addEventListener("tb:lang", render);
    // The charts are drawn at their shown width: drawn again when it changes.
    let resizeTimer = null;
    let drawnWidth = window.innerWidth;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (window.innerWidth !== drawnWidth) render();
        drawnWidth = window.innerWidth;
      }, 200);
    });
    $("p-kind").addEventListener("change", fillParts);
    $("period-form").addEventListener("submit", load);
    $("review-download").addEventListener("click", () => download("review"));
    $("tips-download").addEventListener("click", () => download("tips"));
    S.bind({ onReady: ready, onSignedOut: () => ($("review-view").hidden = true) });
  });
})();
