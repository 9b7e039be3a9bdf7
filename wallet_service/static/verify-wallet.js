// While the clerk waits for the citizen's wallet, ask the server every two seconds whether it has
// answered; then reload, and the page shows the report. Without script, reloading by hand does the same.
document.querySelectorAll("[data-status-url]").forEach(function (box) {
  var url = box.dataset.statusUrl;
  var timer = setInterval(function () {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { status: "gone" }; })
      .then(function (body) {
        if (body.status !== "pending") { clearInterval(timer); window.location.reload(); }
      })
      .catch(function () { /* a passing network failure: try again at the next tick */ });
  }, 2000);
});
