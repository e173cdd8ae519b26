// Progressive enhancement only: every form works without this file.
document.addEventListener("change", function (e) {
  if (e.target.matches("input[data-select-all]")) {
    document.querySelectorAll("input[name='case_ids']").forEach(function (box) {
      box.checked = e.target.checked;
    });
  }
});

// The installable app: the service worker keeps the static files and shows the offline page when the network
// is gone (casework/static/sw.js). A browser without one loses nothing but that.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {});
  });
}
