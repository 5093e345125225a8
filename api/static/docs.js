// Starts Swagger UI on /docs (api/docs.py); a file, not an inline script,
// because the Content-Security-Policy allows scripts from this server only.
(() => {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
