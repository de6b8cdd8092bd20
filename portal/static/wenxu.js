/* Wenxu: progressive enhancement only. Every page works without this file.
   An element marked data-autofocus (the error summary after a failed submit) takes focus on
   load, so screen readers announce the problems and keyboard users start from them. */
document.addEventListener("DOMContentLoaded", function () {
  var target = document.querySelector("[data-autofocus]");
  if (target) {
    target.focus();
  }
});
