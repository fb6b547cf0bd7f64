// The summary sheet's Print button. It is hidden in the page as served and shown only where
// this script runs; without it the page tells the student to use the browser's Print command.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
