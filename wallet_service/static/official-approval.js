/* A signing batch's approval by its official (batch page): PIN and one-time code for a remote
   signing credential, or the official's USB token through the signing agent on their computer.
   The page never keeps the PIN: it goes in one request to the service, which hands it to the remote
   signing service once. With the agent, the PIN is typed into the agent, not here; the page relays
   the batch's digests to the agent and its signatures back. The batch page's poller (official.js)
   sends each state of the batch as a "batch" event on the panel. */
(function () {
  "use strict";

  var pages = window.officialPages;
  var texts = JSON.parse(document.getElementById("approval-texts").textContent);

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function localTime(iso) {
    var d = new Date(iso);
    return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear() + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function failure(error, prefix, message) {
    error.textContent = prefix + (message ? ": " + message : "");
    error.hidden = false;
  }

  /* The agent's answer: {ok, data}; a network failure is {ok: false, unreachable: true}. */
  function askAgent(url, body) {
    return fetch(url.replace(/\/+$/, "") + "/v1/sign", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, data: data };
      });
    }, function () { return { ok: false, unreachable: true, data: {} }; });
  }

  function initApproval(panel) {
    var form = panel.querySelector("form[data-codes], form[data-agent]");
    var preparing = panel.querySelector("[data-preparing]");
    var note = panel.querySelector("[data-approval-note]");
    var deadline = panel.querySelector("[data-deadline]");
    var error = panel.querySelector("[data-approval-error]");
    var button = form.querySelector("button[type=submit]");
    var busy = false;

    panel.addEventListener("batch", function (event) {
      var batch = event.detail;
      var approval = batch.authorisation || {};
      var waiting = batch.status === "awaiting_authorisation";
      panel.hidden = !waiting;
      preparing.hidden = !!approval.ready;
      form.hidden = !approval.ready;
      note.textContent = texts.notes[approval.note] || "";
      note.hidden = !texts.notes[approval.note];
      if (approval.expires_at) { deadline.textContent = pages.format(texts.deadline, { time: localTime(approval.expires_at) }); }
      if (waiting && !busy) { button.disabled = false; }
    });

    function settle(answer) {
      busy = false;
      if (answer.ok) {
        panel.hidden = true;
        return;
      }
      pages.showError(error, texts.refused, answer);
      button.disabled = false;
    }

    function lost() {
      busy = false;
      error.textContent = texts.network;
      error.hidden = false;
      button.disabled = false;
    }

    function start() {
      busy = true;
      button.disabled = true;
      error.hidden = true;
    }

    function approveWithCodes() {
      var pin = form.elements.pin, otp = form.elements.otp;
      var body = { pin: pin.value, otp: otp.value.trim() };
      pin.value = "";  // not kept in the page, whatever the answer
      otp.value = "";
      pages.api("POST", panel.dataset.approveApi, body).then(settle, lost);
    }

    function approveWithAgent() {
      var agentUrl = form.elements.agent.value;
      pages.api("GET", panel.dataset.digestsApi).then(function (toSign) {
        if (!toSign.ok) { settle(toSign); return; }
        var digests = toSign.data.digests;
        var request = { batch: toSign.data.batch, nonce: toSign.data.nonce, digest_algorithm: toSign.data.digest_algorithm,
                        digests: digests.map(function (d) { return d.digest; }) };
        askAgent(agentUrl, request).then(function (signed) {
          if (!signed.ok) {
            busy = false;
            button.disabled = false;
            if (signed.unreachable) { failure(error, pages.format(texts.agent_unreachable, { url: agentUrl })); return; }
            failure(error, texts.agent_refused, signed.data.message || signed.data.error);
            return;
          }
          var signatures = digests.map(function (d, i) { return { result_id: d.result_id, signature: signed.data.signatures[i] }; });
          pages.api("POST", panel.dataset.approveApi, { nonce: signed.data.nonce, signatures: signatures }).then(settle, lost);
        });
      }, lost);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) { return; }
      start();
      if (form.hasAttribute("data-codes")) { approveWithCodes(); } else { approveWithAgent(); }
    });
  }

  document.querySelectorAll("[data-approval]").forEach(initApproval);
})();
