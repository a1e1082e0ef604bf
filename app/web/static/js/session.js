// Staff session: the access token from POST /auth/token, kept in sessionStorage (this tab only;
// gone when it closes), sent only in the Authorization header.
"use strict";

TB.addTexts({
  "login.title": ["Đăng nhập cán bộ", "Staff sign-in"],
  "login.username": ["Tên đăng nhập", "Username"],
  "login.password": ["Mật khẩu", "Password"],
  "login.submit": ["Đăng nhập", "Sign in"],
  "login.logout": ["Đăng xuất", "Sign out"],
  "login.failed": ["Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."],
  "login.change_required": [
    "Mật khẩu này do người khác đặt: hãy chọn mật khẩu mới (ít nhất 12 ký tự).",
    "Someone else set this password: choose a new one (12 characters or more).",
  ],
  "login.new_password": ["Mật khẩu mới", "New password"],
  "login.expired": ["Phiên làm việc đã hết hạn, hãy đăng nhập lại.", "Your session has ended; sign in again."],
  "role.admin": ["Quản trị", "Administrator"],
  "role.province_supervisor": ["Lãnh đạo cấp tỉnh", "Province supervisor"],
  "role.unit_lead": ["Lãnh đạo đơn vị", "Unit lead"],
  "role.officer": ["Cán bộ", "Officer"],
  "role.analyst": ["Phân tích", "Analyst"],
  "role.front_member": ["Thành viên MTTQ", "Front member"],
});

const TBSession = (() => {
  const KEY = "tinbao.token";
  let me = null;
  const listeners = [];

  const token = () => sessionStorage.getItem(KEY);
  const auth = () => ({ Authorization: `Bearer ${token()}` });

  async function api(path, options = {}) {
    try {
      return await TB.api(path, { ...options, headers: { ...auth(), ...(options.headers || {}) } });
    } catch (err) {
      if (err.status === 401) signOut(TB.t("login.expired"));
      throw err;
    }
  }

  function upload(path, form, options = {}) {
    return TB.upload(path, form, { ...options, headers: { ...auth(), ...(options.headers || {}) } });
  }

  // A password someone else set must be replaced before the token may act
  // (POST /auth/password answers a fresh token); until then it returns null.
  async function signIn(username, password, newPassword) {
    const body = new URLSearchParams({ username, password });
    let answer = await TB.api("/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });
    if (answer.password_change_required) {
      if (!newPassword) return null;
      answer = await TB.api("/auth/password", {
        method: "POST",
        headers: { Authorization: `Bearer ${answer.access_token}` },
        json: { current_password: password, new_password: newPassword },
      });
    }
    sessionStorage.setItem(KEY, answer.access_token);
    me = await api("/auth/me");
    return me;
  }

  function signOut(reason) {
    sessionStorage.removeItem(KEY);
    me = null;
    for (const fn of listeners) fn(reason || "");
  }

  async function resume() {
    if (!token()) return null;
    try {
      me = await api("/auth/me");
      return me;
    } catch (err) {
      return null;
    }
  }

  // Wire a page's login form; calls onReady(me) once signed in.
  function bind({ onReady, onSignedOut }) {
    const $ = (id) => document.getElementById(id);
    listeners.push((reason) => {
      $("login-view").hidden = false;
      $("logout").hidden = true;
      $("who").textContent = "";
      TB.say($("login-error"), reason, "error");
      if (onSignedOut) onSignedOut();
    });
    const ready = (who) => {
      $("login-view").hidden = true;
      $("logout").hidden = false;
      $("who").textContent = `${who.full_name || who.label || who.username} · ${TB.t(`role.${who.role}`)}`;
      onReady(who);
    };
    $("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      TB.say($("login-error"), "");
      try {
        const group = $("new-password-group");
        const fresh = group && !group.hidden ? $("new-password").value : "";
        const who = await signIn($("username").value.trim(), $("password").value, fresh);
        if (who === null) {
          group.hidden = false;
          $("new-password").required = true;
          $("new-password").focus();
          TB.say($("login-error"), TB.t("login.change_required"), "error");
          return;
        }
        $("password").value = "";
        if (group) {
          // hidden and no longer required, or the next sign-in could never be submitted
          group.hidden = true;
          $("new-password").required = false;
          $("new-password").value = "";
        }
        ready(who);
      } catch (err) {
        TB.say($("login-error"), err.status === 401 || err.status === 400 ? TB.t("login.failed") : TB.problemText(err), "error");
      }
    });
    $("logout").addEventListener("click", () => signOut(""));
    resume().then((who) => who && ready(who));
  }

  return {
    api,
    upload,
    auth,
    bind,
    signOut,
    get me() {
      return me;
    },
  };
})();
