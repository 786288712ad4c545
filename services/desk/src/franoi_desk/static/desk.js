// The desk's own script: no inline code anywhere (the pages' CSP forbids it).
"use strict";
document.addEventListener("click", (event) => {
  const print = event.target.closest("[data-print]");
  if (print) {
    event.preventDefault();
    window.print();
  }
});
