// Progressive enhancement for a timed exam: the time left ticks every second, and a polite live
// region announces it at 10, 5 and 1 minutes and 30 seconds left. The page says how many seconds
// were left when the server rendered it, so a reload counts from the server's deadline again.
// Without this script the page still shows the minutes left, and the server enforces the deadline.
(function () {
  "use strict";
  var clock = document.getElementById("exam-clock");
  if (!clock) return;
  var shown = document.getElementById("exam-time-left");
  var live = document.getElementById("exam-clock-live");
  var left = parseInt(clock.getAttribute("data-seconds-left"), 10) || 0;
  var end = Date.now() + left * 1000;
  var marks = [[600, "10 minutes left."], [300, "5 minutes left."], [60, "1 minute left."], [30, "30 seconds left."]];
  var said = {};
  // Marks already passed when the page loaded are not announced again on every question.
  marks.forEach(function (m) { if (left <= m[0]) said[m[0]] = true; });
  var submitting = false;
  document.addEventListener("submit", function () { submitting = true; });

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function timeUp() {
    live.textContent = "Time is up. The answers you saved are kept; your result follows.";
    document.querySelectorAll(".question-form button[type=submit]").forEach(function (b) { b.disabled = true; });
    // An answer already on its way finishes its own navigation; otherwise show the result.
    setTimeout(function () { if (!submitting) window.location.reload(); }, 3000);
  }

  var timer;
  function tick() {
    var s = Math.max(0, Math.round((end - Date.now()) / 1000));
    shown.textContent = Math.floor(s / 60) + ":" + pad(s % 60);
    marks.forEach(function (m) {
      if (s <= m[0] && !said[m[0]]) { said[m[0]] = true; live.textContent = m[1]; }
    });
    if (s === 0) { clearInterval(timer); timeUp(); }
  }
  timer = setInterval(tick, 1000);
  tick();
})();
