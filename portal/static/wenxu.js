/* Wenxu: progressive enhancement only. Every page works without this file.
   An element marked data-autofocus (the error summary after a failed submit) takes focus on
   load, so screen readers announce the problems and keyboard users start from them. */
document.addEventListener("DOMContentLoaded", function () {
  var target = document.querySelector("[data-autofocus]");
  if (target) {
    target.focus();
  }
});

/* Read-aloud (A11Y-21), for people who asked for it in their settings: the buttons are in the
   page with `hidden`, and show only where the browser can speak (Web Speech API). The text of
   `main` is read in the page's language, a block at a time (long utterances stop early in
   some browsers). */
document.addEventListener("DOMContentLoaded", function () {
  var start = document.querySelector('[data-read-aloud="start"]');
  var stop = document.querySelector('[data-read-aloud="stop"]');
  var main = document.querySelector("main");
  if (!start || !stop || !main || !("speechSynthesis" in window)) {
    return;
  }
  var synth = window.speechSynthesis;
  var lang = document.documentElement.lang;
  var pending = 0;
  var round = 0;  // cancelled utterances report late: only the current round counts

  function finisher(mine) {
    return function () {
      if (mine !== round) {
        return;
      }
      pending -= 1;
      if (pending <= 0) {
        stop.hidden = true;
      }
    };
  }

  start.hidden = false;
  start.addEventListener("click", function () {
    synth.cancel();
    round += 1;
    var done = finisher(round);
    var blocks = main.innerText.split(/\n+/).map(function (line) {
      return line.trim();
    }).filter(function (line) {
      return line.length > 0;
    });
    pending = blocks.length;
    stop.hidden = blocks.length === 0;
    blocks.forEach(function (text) {
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = lang;
      utterance.onend = done;
      utterance.onerror = done;
      synth.speak(utterance);
    });
  });
  stop.addEventListener("click", function () {
    synth.cancel();
    round += 1;
    stop.hidden = true;
    start.focus();
  });
});

/* Session timeout warning (A11Y-27): two minutes before the session ends, a dialog offers one
   tap to carry on. "Continue" (or closing the dialog) renews the session without leaving the
   page, and focus goes back where it was. */
(function () {
  var dialog = document.getElementById("session-warning");
  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch) {
    return;
  }
  var seconds = parseInt(dialog.getAttribute("data-session-seconds"), 10);
  if (!(seconds > 150)) {
    return;
  }
  var form = dialog.querySelector("form");
  var timer = null;
  var returnFocus = null;

  function arm() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      returnFocus = document.activeElement;
      dialog.showModal();
      dialog.querySelector("button").focus();
    }, (seconds - 120) * 1000);
  }

  function keepAlive() {
    return window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    dialog.close();
  });
  dialog.addEventListener("close", function () {
    keepAlive();
    arm();
    if (returnFocus && typeof returnFocus.focus === "function") {
      returnFocus.focus();
    }
  });
  arm();
})();
