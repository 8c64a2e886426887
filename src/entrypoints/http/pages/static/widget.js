// The booking widget: <script src="https://…/widget.js" data-organisation="your-slug" async></script>
// (or data-resource="<resource token>") renders the booking page in an iframe that grows with its content.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(script.src).origin;
  var slug = script.getAttribute("data-organisation");
  var token = script.getAttribute("data-resource");
  var path = token ? "/book/r/" + encodeURIComponent(token) : "/book/" + encodeURIComponent(slug || "");
  var frame = document.createElement("iframe");
  frame.src = base + path + "?embed=1";
  frame.title = script.getAttribute("data-title") || "Booking";
  frame.setAttribute("loading", "lazy");
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.height = "640px";
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    if (event.origin !== base || event.source !== frame.contentWindow) { return; }
    var data = event.data || {};
    if (data.type === "booking-widget-height" && typeof data.height === "number" && data.height > 0) {
      frame.style.height = Math.min(data.height, 20000) + "px";
    }
  });
})();
