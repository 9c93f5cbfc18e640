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
