// The child page's "Print the films" button (no inline script: the CSP forbids it).
"use strict";
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
