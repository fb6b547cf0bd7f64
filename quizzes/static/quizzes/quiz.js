// Progressive enhancement: answer without reloading the page. Without this script the
// same forms post and redirect. The server's page is fetched and the answered block and
// the live region's text are taken from it, so the announcement comes from a region that
// was already on the page.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-enhance]") || !window.fetch || !window.DOMParser) return;
    var block = form.closest("[id]");
    var section = form.closest("section") || document;
    var live = section.querySelector("[aria-live]");
    if (!block || !live) return;
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(block.id);
        if (!fresh) throw new Error("missing block");
        block.innerHTML = fresh.innerHTML;
        // blocks that follow from the answers (a quiz's score and restart) are taken too
        section.querySelectorAll("[data-refresh][id]").forEach(function (stale) {
          var update = doc.getElementById(stale.id);
          if (update) stale.innerHTML = update.innerHTML;
        });
        var verdict = block.querySelector(".verdict");
        var message = doc.querySelector(".messages");
        var freshLive = live.id ? doc.getElementById(live.id) : null;
        var said = verdict ? verdict.textContent.trim() : (message ? message.textContent.trim() : "");
        var summary = freshLive ? freshLive.textContent.trim() : "";
        live.textContent = summary ? said + " " + summary : said;
        var focusTarget = block.querySelector(".verdict") || block;
        focusTarget.setAttribute("tabindex", "-1");
        focusTarget.focus();
      })
      .catch(function () { form.removeAttribute("data-enhance"); form.submit(); });
  });
})();
