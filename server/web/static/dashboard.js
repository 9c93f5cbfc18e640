// Orders dashboard: filters apply as soon as they change; "/" jumps to
// the search box.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});
document.addEventListener("keydown", function (event) {
  var search = document.getElementById("order-search");
  var tag = (event.target.tagName || "").toLowerCase();
  if (event.key === "/" && search && tag !== "input" && tag !== "textarea" &&
      tag !== "select" && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    search.focus();
    search.select();
  }
});
