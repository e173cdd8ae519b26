// Progressive enhancement only: every form works without this file.
document.addEventListener("change", function (e) {
  if (e.target.matches("input[data-select-all]")) {
    document.querySelectorAll("input[name='case_ids']").forEach(function (box) {
      box.checked = e.target.checked;
    });
  }
});
