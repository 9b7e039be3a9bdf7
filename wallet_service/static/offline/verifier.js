/* The offline verifier page: registers the service worker (which keeps this page, its scripts and
   the trust list for use with no network), loads the trust list, reads a code from the camera, a
   photo or pasted text, and shows the verdict. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("offline-config").textContent);
  var texts = config.texts, trustList = null;
  var STALE_MS = 7 * 24 * 3600 * 1000;

  function $(id) { return document.getElementById(id); }
  function ddmmyyyy(date) {
    var parts = new Intl.DateTimeFormat("en-GB", {timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric"}).formatToParts(date);
    var get = function (type) { return parts.find(function (p) { return p.type === type; }).value; };
    return get("day") + "/" + get("month") + "/" + get("year");
  }

  function showTrustList(note) {
    var line = document.querySelector("[data-testid=trust-list-date]");
    if (!trustList) { line.textContent = texts.trust_list_missing; line.classList.add("stale"); return; }
    var issued = new Date(trustList.iat * 1000), stale = Date.now() - issued.getTime() > STALE_MS;
    line.textContent = texts.trust_list_as_of.replace("%(date)s", ddmmyyyy(issued)) + (stale ? " — " + texts.trust_list_stale : "") + (note ? " " + note : "");
    line.classList.toggle("stale", stale);
    line.dataset.stale = stale ? "true" : "false";
  }

  async function loadTrustList() {
    var note = "";
    try {
      // The service worker answers from its cache when there is no network.
      var response = await fetch(config.trustListUrl, {cache: "no-store"});
      if (!response.ok) throw new Error(response.status);
      trustList = await OfflineCose.readTrustList(await response.text(), config.serviceKey);
      note = navigator.onLine ? texts.refreshed : texts.offline;
    } catch (e) {
      note = texts.offline;
    }
    showTrustList(note);
  }

  function show(verdict) {
    var box = $("verdict"), list = document.querySelector("[data-testid=offline-claims]");
    box.hidden = false;
    box.dataset.status = verdict.status;
    box.dataset.code = verdict.code;
    document.querySelector("[data-testid=offline-message]").textContent = texts.verdicts[verdict.code] || verdict.code;
    list.textContent = "";
    var rows = verdict.agency ? [[texts.agency, verdict.agency]] : [];
    Object.keys(texts.claims).forEach(function (name) {
      var value = verdict.claims && verdict.claims[name];
      if (!value) return;
      if (name === "issued_on") value = value.split("-").reverse().join("/");
      if (name === "signed_at") value = ddmmyyyy(new Date(value)) + " " + new Date(value).toLocaleTimeString("en-GB", {timeZone: "Asia/Ho_Chi_Minh"});
      rows.push([texts.claims[name], value]);
    });
    rows.forEach(function (row) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = row[0]; dd.textContent = row[1];
      list.append(dt, dd);
    });
  }

  async function check(text) {
    if (!trustList) { showTrustList(); return; }
    document.querySelector("[data-testid=offline-message]").textContent = texts.checking;
    show(await OfflineCose.verify(text, trustList));
  }

  /* jsQR finds one code per picture; the stamp has two (the link and the offline code, side by side),
     so a code found that is not the offline one is painted over and the picture read again, and
     regions of the picture are tried too. */
  function findCode(canvas) {
    var context = canvas.getContext("2d", {willReadFrequently: true}), w = canvas.width, h = canvas.height, first = null;
    var original = context.getImageData(0, 0, w, h);
    for (var attempt = 0; attempt < 3; attempt++) {
      var whole = jsQR(context.getImageData(0, 0, w, h).data, w, h, {inversionAttempts: "dontInvert"});
      if (!whole) break;
      if (whole.data.indexOf(OfflineCose.PREFIX) === 0) return whole.data;
      if (first === null) first = whole.data;
      var corners = whole.location;
      context.fillStyle = "#fff";
      context.beginPath();
      context.moveTo(corners.topLeftCorner.x, corners.topLeftCorner.y);
      context.lineTo(corners.topRightCorner.x, corners.topRightCorner.y);
      context.lineTo(corners.bottomRightCorner.x, corners.bottomRightCorner.y);
      context.lineTo(corners.bottomLeftCorner.x, corners.bottomLeftCorner.y);
      context.closePath();
      context.lineWidth = 12;  /* the finder patterns' quiet zone too */
      context.strokeStyle = "#fff";
      context.fill();
      context.stroke();
    }
    /* Regions are read from the picture as taken: painting over one code can clip the other's quiet zone. */
    context.putImageData(original, 0, 0);
    var regions = [[0, 0, w, h]];
    /* Down to quarter-size overlapping regions: jsQR misses a dense code (the offline code is
       version 13-15, ~3.5 pixels a module on a 150 dpi scan) among a page's text more often than
       in a tight region around it. */
    [2, 3, 4].forEach(function (n) {
      var rw = Math.floor(w * 2 / (n + 1)), rh = Math.floor(h * 2 / (n + 1));
      for (var y = 0; y + rh <= h; y += Math.floor(rh / 2)) for (var x = 0; x + rw <= w; x += Math.floor(rw / 2)) regions.push([x, y, rw, rh]);
    });
    for (var i = 0; i < regions.length; i++) {
      var r = regions[i], image = context.getImageData(r[0], r[1], r[2], r[3]);
      var found = jsQR(image.data, r[2], r[3], {inversionAttempts: "dontInvert"});
      if (found && found.data.indexOf(OfflineCose.PREFIX) === 0) return found.data;
      if (found && first === null) first = found.data;
    }
    return first;
  }

  async function fromPhoto(file) {
    var bitmap = await createImageBitmap(file), canvas = document.createElement("canvas");
    /* 2000 pixels keep an A4 page at 150 dpi whole (1241 x 1754): shrinking it left too few pixels
       a module for jsQR to read the offline code. */
    var scale = Math.min(1, 2000 / Math.max(bitmap.width, bitmap.height));
    canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    var text = findCode(canvas);
    if (text === null) { show({status: "unreadable", code: "no_qr", claims: null, agency: null}); return; }
    await check(text);
  }

  async function fromCamera() {
    var video = $("camera"), stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}});
    } catch (e) {
      show({status: "unreadable", code: "camera_unavailable", claims: null, agency: null});
      return;
    }
    video.srcObject = stream; video.hidden = false; await video.play();
    var detector = "BarcodeDetector" in window ? new BarcodeDetector({formats: ["qr_code"]}) : null;
    var canvas = document.createElement("canvas");
    async function scan() {
      var text = null;
      if (detector) {
        var codes = await detector.detect(video);
        var ours = codes.find(function (c) { return c.rawValue.indexOf(OfflineCose.PREFIX) === 0; });
        text = ours ? ours.rawValue : null;
      } else if (video.videoWidth) {
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        canvas.getContext("2d").drawImage(video, 0, 0);
        var found = findCode(canvas);
        text = found && found.indexOf(OfflineCose.PREFIX) === 0 ? found : null;
      }
      if (text === null) { setTimeout(scan, 300); return; }
      stream.getTracks().forEach(function (t) { t.stop(); });
      video.hidden = true;
      await check(text);
    }
    scan();
  }

  texts.verdicts.no_qr = texts.no_qr;
  texts.verdicts.camera_unavailable = texts.camera_unavailable;
  $("photo").addEventListener("change", function (event) {
    var file = event.target.files[0];
    event.target.value = "";  // so that choosing the same photo again checks it again
    if (file) fromPhoto(file);
  });
  $("check-text").addEventListener("click", function () { check($("code-text").value); });
  $("start-camera").addEventListener("click", fromCamera);
  $("refresh-trust-list").addEventListener("click", loadTrustList);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.worker, {scope: "/verify/offline"}).catch(function () {});
  }
  loadTrustList();
})();
