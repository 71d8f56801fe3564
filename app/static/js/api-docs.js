// Start Swagger UI on this host's OpenAPI document (no CDN, no inline script).
window.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: el.dataset.specUrl, dom_id: "#swagger-ui", deepLinking: true,
                                tryItOutEnabled: true, validatorUrl: null });
});
