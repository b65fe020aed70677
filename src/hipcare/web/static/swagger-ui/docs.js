// Starts Swagger UI on /api/docs from a file of our own: the page's CSP allows no inline
// script. validatorUrl null: no badge image fetched from another host.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
