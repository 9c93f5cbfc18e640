// Ask before actions that cannot be undone lightly (Action.confirm).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Print buttons ([data-print]): a handler here, since the
// Content-Security-Policy refuses inline ones (onclick=...).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// Forms that answer a file to download ([data-download-reload], the
// badge card): posted with fetch, the file saved, then the page reloaded
// to show what changed.  A refusal (a redirect with a flashed error) is
// shown by the reload.  Without script the form posts as usual.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || !form.hasAttribute("data-download-reload")) {
    return;
  }
  event.preventDefault();
  fetch(form.action, {method: "POST", body: new FormData(form),
                      credentials: "same-origin", redirect: "manual"})
    .then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/pdf") !== 0) {
        window.location.reload();
        return;
      }
      var named = /filename="([^"]+)"/.exec(
        response.headers.get("Content-Disposition") || "");
      return response.blob().then(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = named ? named[1] : "download.pdf";
        document.body.appendChild(link);
        link.click();
        link.remove();
        window.setTimeout(function () {
          URL.revokeObjectURL(link.href);
          window.location.reload();
        }, 500);
      });
    }, function () { window.location.reload(); });
});
