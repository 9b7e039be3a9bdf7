/* The offline verifier's service worker: keeps the page, its scripts and styles, and the last trust
   list. Pages and the trust list: network first, the saved copy when there is no network; scripts
   and styles: the saved copy first. */
"use strict";
var CACHE = "offline-verifier-v4";
var PAGE = "/verify/offline";
var TRUST_LIST = "/.well-known/result-trust-list";
var ASSETS = [PAGE, TRUST_LIST, "/static/app.css", "/static/verify.css", "/static/offline/offline.css",
  "/static/vendor/jsQR.js", "/static/offline/cose.js", "/static/offline/verifier.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request, key) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(key, {ignoreSearch: true}).then(function (hit) { return hit || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === TRUST_LIST) { event.respondWith(networkFirst(event.request, TRUST_LIST)); return; }
  if (url.pathname === PAGE) { event.respondWith(networkFirst(event.request, event.request.url)); return; }
  if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname).then(function (hit) { return hit || fetch(event.request); }));
  }
});
