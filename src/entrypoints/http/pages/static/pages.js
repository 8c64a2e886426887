// Progressive enhancement of the booking pages: the steps (calendar, times) load in place without a
// full reload, an embedded page tells the widget its height, and a pending payment page checks again.
(function () {
  "use strict";
  var steps = document.getElementById("steps");

  function load(url, push) {
    return fetch(url, { headers: { "X-Partial": "steps" }, credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok && answer.status >= 500) { throw new Error("step failed"); }
        return answer.text();
      })
      .then(function (html) {
        steps.innerHTML = html;
        if (push) { history.pushState({ steps: true }, "", url); }
        var heading = steps.querySelectorAll("h2");
        var last = heading[heading.length - 1];
        if (last) { last.setAttribute("tabindex", "-1"); last.focus({ preventScroll: false }); }
        tellHeight();
      })
      .catch(function () { window.location.href = url; });
  }

  if (steps) {
    steps.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-step]") : null;
      if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) { return; }
      event.preventDefault();
      load(link.href, true);
    });
    window.addEventListener("popstate", function () { load(window.location.href, false); });
  }

  function tellHeight() {
    if (window.parent === window) { return; }
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    window.parent.postMessage({ type: "booking-widget-height", height: height }, "*");
  }
  if (window.parent !== window) {
    if (window.ResizeObserver) { new ResizeObserver(tellHeight).observe(document.body); }
    window.addEventListener("load", tellHeight);
    tellHeight();
  }

  var waiting = document.querySelector("[data-refresh]");
  if (waiting) {
    var seconds = parseInt(waiting.getAttribute("data-refresh"), 10) || 3;
    window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
