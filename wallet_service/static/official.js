/* Officials' pages: selecting results, confirming a signing batch, following its progress,
   annulling, and previewing first pages. Plain JavaScript, no library. Signing and annulling go
   through the public API (POST /api/v1/signing-batches, POST /api/v1/results/{id}/annul) with the
   page's CSRF token, so the server's checks and audit records are the only ones. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var textsElement = document.getElementById("official-texts");
  var texts = textsElement ? JSON.parse(textsElement.textContent) : {};

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function api(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function showError(element, prefix, answer) {
    var detail = answer && answer.data && answer.data.message ? answer.data.message : "";
    var code = answer && answer.data && answer.data.error ? " (" + answer.data.error + ")" : "";
    element.textContent = prefix + (detail ? ": " + detail : "") + code;
    element.hidden = false;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }

  // The batch page's approval panel (official-approval.js) uses the same helpers.
  window.officialPages = { api: api, showError: showError, format: format };

  /* Queue: checkboxes, "select all on this page", and the count on the sign button. */
  function initSelection(form) {
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[data-select]"));
    var all = form.querySelector("input[data-select-all]");
    var button = form.querySelector("[data-sign-selected]");
    var count = form.querySelector("[data-selected-count]");
    function refresh() {
      var checked = boxes.filter(function (box) { return box.checked; }).length;
      if (count) { count.textContent = String(checked); }
      if (button) { button.disabled = checked === 0; }
      if (all) {
        all.checked = checked > 0 && checked === boxes.length;
        all.indeterminate = checked > 0 && checked < boxes.length;
      }
    }
    boxes.forEach(function (box) { box.addEventListener("change", refresh); });
    if (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        refresh();
      });
    }
    refresh();
  }

  /* Confirmation page: one POST for the whole selection, then the batch's progress page. */
  function initSignForm(form) {
    var error = form.querySelector("[data-error]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var ids = Array.prototype.map.call(form.querySelectorAll("input[name=result_id]"), function (input) { return input.value; });
      button.disabled = true;
      error.hidden = true;
      api("POST", form.dataset.api, { result_ids: ids }).then(function (answer) {
        if (answer.ok) {
          window.location.assign(form.dataset.batchUrl.replace("BATCH_ID", answer.data.id));
          return;
        }
        showError(error, texts.failed, answer);
        button.disabled = false;
      }, function () {
        error.textContent = texts.network;
        error.hidden = false;
        button.disabled = false;
      });
    });
  }

  /* Batch page: follow GET /api/v1/signing-batches/{id} until the batch is finished. */
  function initBatch(card) {
    var progress = card.querySelector("[data-progress]");
    var percent = card.querySelector("[data-percent]");
    var counts = card.querySelector("[data-counts]");
    var finished = card.querySelector("[data-finished]");
    var error = card.querySelector("[data-error]");
    var retry = card.querySelector("[data-retry]");
    var retryButton = card.querySelector("[data-retry-button]");
    var expired = card.querySelector("[data-expired]");
    var approval = card.querySelector("[data-approval]");
    var tones = { done: "ok", failed: "fail", queued: "warn", released: "warn" };
    var failedIds = [];

    function render(batch) {
      var processed = batch.done + batch.failed;
      progress.max = batch.total;
      progress.value = processed;
      percent.textContent = (batch.total ? Math.floor(processed * 100 / batch.total) : 100) + " %";
      counts.textContent = format(texts.counts, batch);
      failedIds = [];
      batch.items.forEach(function (item) {
        var row = document.querySelector('tr[data-item="' + item.result_id + '"]');
        if (item.status === "failed") { failedIds.push(item.result_id); }
        if (!row) { return; }
        row.dataset.itemStatus = item.status;
        var badge = row.querySelector("[data-item-badge]");
        badge.className = "badge " + (tones[item.status] || "warn");
        badge.textContent = texts[item.status] || item.status;
        var reason = row.querySelector("[data-item-error]");
        reason.textContent = item.error || "";
        reason.hidden = !item.error;
        row.querySelector("[data-when-done]").hidden = item.status !== "done";
      });
      var done = batch.status === "finished";
      card.dataset.status = batch.status;
      finished.hidden = !done;
      expired.hidden = batch.status !== "expired";
      if (approval) { approval.dispatchEvent(new CustomEvent("batch", { detail: batch })); }
      if (retry && retryButton) { retry.hidden = !(done && failedIds.length); }
      return done || batch.status === "expired";
    }

    function poll() {
      api("GET", card.dataset.api).then(function (answer) {
        if (!answer.ok) {
          showError(error, texts.network, answer);
          return;
        }
        error.hidden = true;
        if (!render(answer.data)) { window.setTimeout(poll, POLL_MS); }
      }, function () {
        error.textContent = texts.network;
        error.hidden = false;
        window.setTimeout(poll, POLL_MS * 3);
      });
    }

    if (retryButton) {
      retryButton.addEventListener("click", function () {
        if (!failedIds.length) {
          failedIds = Array.prototype.map.call(document.querySelectorAll('tr[data-item-status="failed"]'), function (row) { return row.dataset.item; });
        }
        retryButton.disabled = true;
        api("POST", card.dataset.createApi, { result_ids: failedIds }).then(function (answer) {
          if (answer.ok) {
            window.location.assign(card.dataset.batchUrl.replace("BATCH_ID", answer.data.id));
            return;
          }
          showError(error, texts.retry_failed, answer);
          retryButton.disabled = false;
        });
      });
    }
    if (card.dataset.status !== "finished" && card.dataset.status !== "expired") { poll(); }
  }

  /* Result page: annul (POST /api/v1/results/{id}/annul) or return the dossier (.../return) with a
     reason, then show the new state. */
  function initAnnul(form) {
    var error = form.querySelector("[data-error]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      error.hidden = true;
      api("POST", form.dataset.api, { reason: form.elements.reason.value }).then(function (answer) {
        if (answer.ok) {
          window.location.assign(window.location.pathname);
          return;
        }
        showError(error, texts[form.dataset.failedText || "annul_failed"], answer);
        button.disabled = false;
      }, function () {
        error.textContent = texts.network;
        error.hidden = false;
        button.disabled = false;
      });
    });
  }

  /* Queue: "Preview" opens the first page in a dialog; without script it opens the result page. */
  function initPreview(dialog) {
    var image = dialog.querySelector("[data-preview-image]");
    var title = dialog.querySelector("[data-preview-title]");
    var pdf = dialog.querySelector("[data-preview-pdf]");
    var sign = dialog.querySelector("[data-preview-sign]");
    document.querySelectorAll("a[data-preview]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (event.ctrlKey || event.metaKey || event.shiftKey || typeof dialog.showModal !== "function") { return; }
        event.preventDefault();
        title.textContent = link.dataset.title;
        image.src = link.dataset.preview;
        pdf.href = link.dataset.pdf;
        if (sign) {
          sign.hidden = !link.dataset.sign;
          if (link.dataset.sign) { sign.href = link.dataset.sign; }
        }
        dialog.showModal();
      });
    });
    dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("click", function (event) { if (event.target === dialog) { dialog.close(); } });
  }

  document.querySelectorAll("form[data-selection]").forEach(initSelection);
  document.querySelectorAll("form[data-sign-form]").forEach(initSignForm);
  document.querySelectorAll("[data-batch]").forEach(initBatch);
  document.querySelectorAll("form[data-annul]").forEach(initAnnul);
  document.querySelectorAll("dialog[data-preview-dialog]").forEach(initPreview);
})();
