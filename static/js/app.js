// ccsub progressive enhancement. Every page works without this file.
(function () {
  "use strict";
  // Show times in the viewer's own time zone; the server renders UTC.
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
  });
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) { el.title = el.textContent; el.textContent = fmt.format(d); }
  });
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
  // Destructive buttons name what they do and ask once more.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  // Prevent a double submit of forms that call the gateway.
  document.querySelectorAll("form[data-once]").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; b.textContent = "Sending…"; });
    });
  });
})();
