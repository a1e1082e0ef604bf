// The header and the sign-in form that the police page (/staff/) and the review page
// (/dashboard/) share: one home for both. Each page holds empty placeholders
// (<header id="top" data-page="staff|dashboard" [data-inbox]> and <section id="login-view">);
// this script fills them when it runs (deferred, after parsing, before DOMContentLoaded), so
// session.js and the page's own script find the same ids on both pages.
"use strict";

const TBShell = (() => {
  const el = TB.el;
  const PAGES = [
    ["staff", "/staff/", "nav.staff", "Cán bộ"],
    ["dashboard", "/dashboard/", "nav.dashboard", "Tổng hợp"],
  ];

  function header(top) {
    const page = top.dataset.page;
    const nav = el("nav", { "data-i18n-label": "nav.label", "aria-label": "Các trang" });
    for (const [name, href, key, text] of PAGES) {
      nav.append(el("a", { href, "aria-current": name === page ? "page" : null, "data-i18n": key, text }));
    }
    const inbox =
      "inbox" in top.dataset
        ? el(
            "button",
            { type: "button", id: "inbox-btn", class: "link", hidden: true, "aria-controls": "inbox", "aria-expanded": "false" },
            el("span", { "data-i18n": "inbox.title", text: "Thông báo" }),
            " ",
            el("span", { id: "inbox-badge", class: "badge", hidden: true })
          )
        : null;
    const parts = [
      el("span", { class: "brand", text: "TinBáo" }),
      nav,
      el("span", { id: "who", class: "who" }),
      inbox,
      el("button", { type: "button", id: "logout", class: "link", hidden: true, "data-i18n": "login.logout", text: "Đăng xuất" }),
      el("button", { type: "button", id: "lang-switch", class: "link", text: "English" }),
    ];
    TB.clear(top).append(...parts.filter(Boolean));
  }

  function field(id, key, text, attrs) {
    return [el("label", { for: id, "data-i18n": key, text }), el("input", { id, ...attrs })];
  }

  function login(view) {
    view.setAttribute("aria-labelledby", "login-title");
    const form = el(
      "form",
      { id: "login-form" },
      field("username", "login.username", "Tên đăng nhập", { type: "text", autocomplete: "username", required: true }),
      field("password", "login.password", "Mật khẩu", { type: "password", autocomplete: "current-password", required: true }),
      el(
        "div",
        { id: "new-password-group", hidden: true },
        el("p", { "data-i18n": "login.change_required", text: TB.t("login.change_required") }),
        field("new-password", "login.new_password", "Mật khẩu mới", { type: "password", autocomplete: "new-password", minlength: 12 })
      ),
      el("div", { class: "row" }, el("button", { type: "submit", class: "primary", "data-i18n": "login.submit", text: "Đăng nhập" })),
      el("div", { id: "login-error", role: "alert", class: "error", hidden: true })
    );
    TB.clear(view).append(el("h1", { id: "login-title", "data-i18n": "login.title", text: "Đăng nhập cán bộ" }), form);
  }

  function render() {
    const top = document.getElementById("top");
    const view = document.getElementById("login-view");
    if (top) header(top);
    if (view) login(view);
  }

  render();
  return { render };
})();
