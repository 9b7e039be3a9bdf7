// While the server verifies an upload (a few seconds), say so and keep the form from being sent twice.
// Without script the form still works: it only lacks this notice.
document.querySelectorAll("form[data-testid=verify-form]").forEach(function (form) {
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    var notice = form.querySelector("[data-testid=checking]");
    notice.textContent = button.dataset.checking;
    notice.hidden = false;
    form.setAttribute("aria-busy", "true");
    // Disabled after this turn of the event loop, or the browser would not send the form.
    setTimeout(function () { button.disabled = true; }, 0);
  });
});
