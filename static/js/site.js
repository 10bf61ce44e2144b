// Shows why an HTMX request failed (403, 429, CSRF 400, 5xx) instead of leaving the page silent.
(function () {
  "use strict";

  function messageFor(xhr) {
    if (!xhr || xhr.status === 0) {
      return "We could not reach the shop. Check your connection and try again.";
    }
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var text = doc.querySelector(".error-page p:not(.error-code)");
    return (text && text.textContent.trim()) || "Something went wrong. Please try again.";
  }

  function show(message) {
    var main = document.getElementById("main");
    if (!main) { return; }
    var box = document.getElementById("request-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "request-error";
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = message;
  }

  document.addEventListener("htmx:responseError", function (event) {
    show(messageFor(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function () { show(messageFor(null)); });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = document.getElementById("request-error");
    if (box && event.detail.successful) { box.remove(); }
  });
})();

// Asks before a destructive form is sent: <form data-confirm="Delete …?">. Without
// JavaScript the form is sent as it is, which each action's own rules keep safe.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
