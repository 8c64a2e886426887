// /schema: Swagger UI from the app's own copy (swagger-ui-bundle), reading the document of this server.
window.addEventListener("load", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.getAttribute("data-url"), dom_id: "#swagger-ui", deepLinking: true });
});
