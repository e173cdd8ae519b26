// The service worker of Casework, served at /sw.js (casework/shell/routes.py), which puts above this file
// CACHE (a name that changes with every deploy that changes a static file), SHELL (the static files and the
// offline page, kept at install) and OFFLINE (the offline page's address).
//
// What it keeps: the static files (cache first) and the offline page. What it never keeps: a page of the
// site (a navigation goes to the network, and only when the network fails is the offline page shown in its
// place), a download, a photo, any POST. So nobody's cases stay on the phone.

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // "reload": from the server itself, not from a copy the browser's HTTP cache still holds
      return cache.addAll(SHELL.map(function (url) { return new Request(url, {cache: "reload"}); }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("casework-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isStaticFile(url) {
  return url.origin === self.location.origin && url.pathname.indexOf("/static/") === 0;
}

function fromNetworkOrOffline(request) {
  return fetch(request).catch(function () {
    return caches.match(OFFLINE, {ignoreSearch: true}).then(function (page) {
      return page || Response.error();
    });
  });
}

function fromCacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, {ignoreSearch: true}).then(function (kept) {
      return kept || fetch(request).then(function (answer) {
        if (answer.ok && answer.type === "basic") cache.put(request, answer.clone());
        return answer;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return; // a POST goes to the server as the browser sends it, never kept
  var url = new URL(request.url);
  if (request.mode === "navigate" && url.origin === self.location.origin) {
    event.respondWith(fromNetworkOrOffline(request));
  } else if (isStaticFile(url)) {
    event.respondWith(fromCacheFirst(request));
  }
});

// A push (casework/notify's webpush channel): {"title", "body", "url", "tag"}.
self.addEventListener("push", function (event) {
  var message = {};
  try { message = event.data ? event.data.json() : {}; } catch (e) { message = {body: event.data.text()}; }
  var icon = "/static/icons/icon-192.png";
  event.waitUntil(self.registration.showNotification(message.title || "Casework", {
    body: message.body || "", tag: message.tag || undefined, icon: icon, badge: icon, data: {url: message.url || "/"}
  }));
});

function sameOriginUrl(url) {
  try {
    var target = new URL(url || "/", self.location.origin);
    return target.origin === self.location.origin ? target.href : self.location.origin + "/";
  } catch (e) {
    return self.location.origin + "/";
  }
}

// A tap on the notification opens its case in a window of the app (one already open on it comes forward).
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = sameOriginUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target && "focus" in windows[i]) return windows[i].focus();
      }
      return self.clients.openWindow(target);
    })
  );
});
