// Order Profile: refresh lines and picks every 2 s so a CSR sees bottles
// arrive as the guns sync.  A status or notes change made elsewhere
// reloads the page, unless the CSR is typing a note or in an open step of
// the Order Menu.
(function () {
  var script = document.currentScript;
  var url = script.getAttribute("data-live-url");
  var PERIOD_MS = 2000;
  var busy = false;

  function typing() {
    var text = document.getElementById("note-text");
    if (text && text.value.trim() !== "") return true;
    var fields = document.querySelectorAll(
      "details.step[open] input:not([type=hidden])");
    return Array.prototype.some.call(fields, function (field) {
      return field.value !== field.defaultValue;
    });
  }

  function poll() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(url, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 404) {
          window.location.reload();   // deleted elsewhere: show the 404
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var current = document.getElementById("live");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#live");
        if (!current || !fresh) return;
        var changed = fresh.dataset.status !== current.dataset.status ||
                      fresh.dataset.notes !== current.dataset.notes;
        if (changed && !typing()) {
          window.location.reload();
          return;
        }
        if (fresh.innerHTML !== current.innerHTML) {
          current.innerHTML = fresh.innerHTML;
        }
      })
      .catch(function () { /* server restarting: try again next tick */ })
      .then(function () { busy = false; });
  }

  setInterval(poll, PERIOD_MS);
})();
