// ccsub progressive enhancement. Every page works without this file.

(function () {
  "use strict";
  // Report the browser's time zone to the server, which shows every time
  // in it (unless the user chose a zone of their own). Times are rendered
  // by the server; this only keeps the cookie up to date.
  var tz = "";
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { tz = ""; }
  if (/^[A-Za-z0-9_+\/-]{1,64}$/.test(tz) && document.cookie.split("; ").indexOf("ccsub_tz=" + tz) < 0) {
    document.cookie = "ccsub_tz=" + tz + "; path=/; max-age=31536000; samesite=lax" +
      (window.location.protocol === "https:" ? "; secure" : "");
  }
  // "Use a generated strong token" copies the server's suggestion into the
  // field and shows it, so the administrator can copy it to their system.
  document.querySelectorAll("[data-fill-token]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var input = document.getElementById(btn.getAttribute("data-fill-token"));
      input.value = btn.getAttribute("data-token");
      input.type = "text";
      input.select();
    });
  });
  // A ticked "push to ccsub's receiver" replaces the callback address, so
  // the address field is switched off while it is ticked.
  document.querySelectorAll("input[data-disables]").forEach(function (box) {
    var field = document.getElementById(box.getAttribute("data-disables"));
    if (!field) { return; }
    var sync = function () { field.disabled = box.checked; };
    box.addEventListener("change", sync);
    sync();
  });
  // "Copy" puts a one-time secret (a new API token, a revealed password), a
  // serverId, an address or a message on the clipboard; shown only where
  // the browser can do it.
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    if (!navigator.clipboard || !window.isSecureContext) { return; }
    btn.hidden = false;
    var label = btn.textContent, name = btn.getAttribute("aria-label");
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.getAttribute("data-copy"));
      var text = el.value !== undefined ? el.value : el.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        var done = btn.getAttribute("data-copied") || label;
        btn.textContent = done;
        // A button named by aria-label says "Copied" too, for screen readers.
        if (name) { btn.setAttribute("aria-label", done); }
        setTimeout(function () {
          btn.textContent = label;
          if (name) { btn.setAttribute("aria-label", name); }
        }, 2000);
      });
    });
  });
  // Destructive buttons name what they do and ask once more.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  // The navigation is a <details> that the page sends open, so it works
  // without this file. On a narrow screen (the stylesheet's breakpoint) it
  // starts closed behind its "Menu" button; on a wide one it stays open,
  // its button hidden. Escape closes it and returns to the button.
  var menu = document.getElementById("menu");
  if (menu && window.matchMedia) {
    var narrow = window.matchMedia("(max-width: 48rem)");
    var sync = function () { menu.open = !narrow.matches; };
    sync();
    narrow.addEventListener("change", sync);
    menu.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && narrow.matches && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }
  // Prevent a double submit of forms that call the gateway.
  document.querySelectorAll("form[data-once]").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; b.textContent = "Sending…"; });
    });
  });
})();
// Inbox: new notifications appear on top without a reload. Every few
// seconds the rows newer than the top one are fetched from the server,
// which renders (and escapes) them exactly as on the page. Without this
// script the page has a Refresh link and reloads itself.
(function () {
  "use strict";
  var body = document.querySelector("tbody[data-poll]");
  if (!body) { return; }
  var every = 4000, maxRows = 500;
  var table = body.closest("table");
  var empty = document.getElementById("inbox-empty");
  var status = document.getElementById("inbox-status");
  function say(text) { if (status) { status.textContent = text; } }
  // The page's language gives the words (data-* on the status line).
  function words(key, fallback) { return (status && status.dataset[key]) || fallback; }
  function topCursor() {
    var tr = body.querySelector("tr[data-cursor]");
    return tr ? tr.getAttribute("data-cursor") : "";
  }
  function pollURL() {
    var u = new URL(body.getAttribute("data-poll"), window.location.href);
    var c = topCursor();
    if (c) { u.searchParams.set("after", c); }
    return u.toString();
  }
  // Keep a page left open for days bounded; the Older link then starts
  // right below the last row kept, so nothing is skipped.
  function trim() {
    var rows = body.querySelectorAll("tr[data-cursor]");
    if (rows.length <= maxRows) { return; }
    for (var i = maxRows; i < rows.length; i++) { rows[i].remove(); }
    var older = document.querySelector("nav.pager a[rel=next]");
    if (!older) {
      older = document.createElement("a");
      older.rel = "next";
      older.textContent = words("older", "Older ›");
      document.querySelector("nav.pager").appendChild(older);
    }
    var u = new URL(window.location.pathname, window.location.href);
    u.searchParams.set("before", rows[maxRows - 1].getAttribute("data-cursor"));
    older.href = u.pathname + u.search;
  }
  function prepend(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var n = tpl.content.querySelectorAll("tr").length;
    if (n === 0) { return 0; }
    tpl.content.querySelectorAll("tr").forEach(function (tr) { tr.classList.add("fresh"); });
    body.insertBefore(tpl.content, body.firstChild);
    table.hidden = false;
    if (empty) { empty.hidden = true; }
    trim();
    return n;
  }
  function schedule(ms) { window.setTimeout(poll, ms); }
  function poll() {
    if (document.hidden) { schedule(every); return; }
    var more = false;
    // A redirect means the session ended: stop instead of showing the
    // sign-in page inside the table.
    fetch(pollURL(), { credentials: "same-origin", redirect: "manual", headers: { Accept: "text/html" } })
      .then(function (res) {
        if (res.type === "opaqueredirect" || res.status === 401 || res.status === 403) {
          throw new Error("signed out");
        }
        if (!res.ok) { throw new Error("status " + res.status); }
        more = res.headers.get("X-Inbox-More") === "1";
        return res.text();
      })
      .then(function (html) {
        var n = prepend(html);
        if (n > 0) { say(n === 1 ? words("oneNew", "1 new notification") : words("manyNew", "{n} new notifications").replace("{n}", String(n))); }
        schedule(more ? 0 : every);
      })
      .catch(function (err) {
        if (err.message === "signed out") {
          say(words("signedOut", "Automatic refresh stopped: you were signed out. Reload the page."));
          return;
        }
        say(words("retrying", "Automatic refresh is retrying…"));
        schedule(every * 4);
      });
  }
  schedule(every);
})();
