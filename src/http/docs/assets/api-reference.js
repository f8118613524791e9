// Starts Swagger UI on Baton's API reference page (/docs). It is a file of its own, not an inline
// script, so that the page's Content-Security-Policy can forbid inline scripts.
/* global window, document, SwaggerUIBundle */

const root = document.getElementById('swagger-ui');
window.ui = SwaggerUIBundle({
  domNode: root,
  url: root.dataset.openapiUrl,
  deepLinking: true,
  docExpansion: 'list',
  filter: true,
  displayRequestDuration: true,
  // The document has no components.schemas; an empty "Schemas" section would only confuse.
  defaultModelsExpandDepth: -1,
  // Never hand the document to an outside validator (the default is a public web service).
  validatorUrl: null,
});
