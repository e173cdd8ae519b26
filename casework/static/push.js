// Web Push on the notification settings page (templates/notify/settings.html): turn notifications on or off on
// this device. Registers the service worker (/sw.js), subscribes with the site's VAPID key and posts the
// subscription, with the CSRF token, to Casework. Without JavaScript the page still sets the channels.
(function () {
  "use strict";
  var box = document.getElementById("push-device");
  if (!box) return;
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) {
    var note = document.querySelector("[data-push='unsupported']");
    if (note) note.hidden = false;
    return;
  }
  var on = box.querySelector("[data-push='on']");
  var off = box.querySelector("[data-push='off']");
  var status = box.querySelector("[data-push='status']");

  function say(key) { status.textContent = status.dataset[key] || ""; }

  function show(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    say(subscribed ? "on" : "off");
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf},
      body: JSON.stringify(body)
    }).then(function (answer) {
      if (!answer.ok) throw new Error("Casework answered " + answer.status);
      return answer;
    });
  }

  function registration() {
    return navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function turnOn() {
    on.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("denied");
      return registration();
    }).then(function (reg) {
      return reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.key)});
    }).then(function (subscription) {
      return post(box.dataset.subscribe, subscription.toJSON());
    }).then(function () {
      window.location.reload();  // the list of devices now shows this one
    }).catch(function (error) {
      on.disabled = false;
      say(error.message === "denied" ? "denied" : "failed");
    });
  }

  function turnOff() {
    off.disabled = true;
    registration().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) return null;
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () { return post(box.dataset.unsubscribe, {endpoint: endpoint}); });
    }).then(function () {
      window.location.reload();
    }).catch(function () {
      off.disabled = false;
      say("failed");
    });
  }

  on.addEventListener("click", turnOn);
  off.addEventListener("click", turnOff);
  box.hidden = false;
  registration().then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (subscription) {
    show(Boolean(subscription));
  }).catch(function () { show(false); });
})();
