// Drafts: what is typed in a form's text box is kept in this browser until the server has accepted it, so that
// a lost signal in a village never loses the cadre's writing. Progressive enhancement only: without this file
// every form works as before, without drafts.
//
// - Kept: every textarea of a POST form, and every input marked data-draft, under a key of the writer (the
//   user id base.html puts on <body> as data-user), the form's action and the field's name (not the page's
//   path: a refused form comes back at the action's address, and its draft must stay the same one). A page
//   of nobody logged in keeps and restores nothing.
// - Restored when a page shows that form with the field empty (its <details> is opened so it is seen).
// - Cleared only when the server said yes: on submit the form's keys are remembered in this tab
//   (sessionStorage); the next page of the tab clears them if it carries a success or info message (the
//   redirect after an accepted action, or "already done" after a second tap). A POST that never arrived, or
//   a form refused and shown again, keeps the draft.
// - Drafts stay with their writer: a page of one user removes every draft of any other (a session that
//   expired on a shared phone leaves the previous cadre's drafts; the next person to log in never sees them,
//   while the same cadre logging in again gets theirs back). Logging out (the form whose action is <body>'s
//   data-logout) clears every draft of this browser.
(function () {
  var PREFIX = "casework-draft:";
  var SENT = "casework-drafts-sent";
  var MAX_AGE = 14 * 24 * 3600 * 1000; // a draft untouched for two weeks is dropped
  var WRITER = document.body.getAttribute("data-user");
  var LOGOUT = document.body.getAttribute("data-logout");
  var store;
  try {
    store = window.localStorage;
    store.getItem(PREFIX);
  } catch (e) {
    return; // storage refused (private mode, a policy): the forms work as without this file
  }

  function draftFields(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll("form[method=post] textarea[name], form[method=post] input[data-draft][name]"),
      function (field) { return !field.disabled && !field.readOnly; }
    );
  }

  function actionOf(form) {
    // the attribute, not form.action: a field named "action" would shadow that property
    return new URL(form.getAttribute("action") || location.href, location.href);
  }

  function keyOf(field) {
    var action = actionOf(field.form);
    return PREFIX + WRITER + ":" + action.pathname + action.search + "|" + field.name;
  }

  function read(key) {
    try { return JSON.parse(store.getItem(key)); } catch (e) { return null; }
  }

  function save(field) {
    var key = keyOf(field);
    try {
      if (field.value.trim() === "") store.removeItem(key);
      else store.setItem(key, JSON.stringify({text: field.value, at: Date.now()}));
    } catch (e) { /* storage full: the server is the only copy, as without drafts */ }
  }

  function forget(keys) {
    keys.forEach(function (key) { store.removeItem(key); });
  }

  function allDraftKeys() {
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      if (store.key(i).indexOf(PREFIX) === 0) keys.push(store.key(i));
    }
    return keys;
  }

  function serverAccepted() {
    return document.querySelector(".flash.success, .flash.info") !== null;
  }

  // What the last submit in this tab sent: cleared if this page says it was accepted, else kept.
  function settleSent() {
    var sent;
    try { sent = JSON.parse(sessionStorage.getItem(SENT) || "[]"); } catch (e) { sent = []; }
    sessionStorage.removeItem(SENT);
    if (sent.length && serverAccepted()) forget(sent);
  }

  function dropStale() {
    forget(allDraftKeys().filter(function (key) {
      var draft = read(key);
      return !draft || !(Date.now() - draft.at < MAX_AGE);
    }));
  }

  function dropOthers() {
    var mine = PREFIX + WRITER + ":";
    forget(allDraftKeys().filter(function (key) { return key.indexOf(mine) !== 0; }));
  }

  function isLogout(form) {
    return LOGOUT !== null && actionOf(form).pathname === new URL(LOGOUT, location.href).pathname;
  }

  function restore() {
    draftFields(document).forEach(function (field) {
      var draft = read(keyOf(field));
      if (!draft || field.value !== "") return;
      field.value = draft.text;
      field.classList.add("draft-restored");
      var details = field.closest("details");
      if (details) details.open = true;
    });
  }

  if (WRITER === null) return; // nobody logged in: nothing to keep, and whose drafts are here is not known

  document.addEventListener("input", function (e) {
    if (e.target.form && draftFields(e.target.form).indexOf(e.target) >= 0) save(e.target);
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (isLogout(form)) {
      forget(allDraftKeys());
      return;
    }
    var keys = draftFields(form).map(keyOf);
    try { sessionStorage.setItem(SENT, JSON.stringify(keys)); } catch (err) { /* the drafts then simply stay */ }
  });

  settleSent();
  dropOthers();
  dropStale();
  restore();
})();
