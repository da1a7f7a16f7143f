// Moves the keyboard focus to an element marked data-focus-on-load (an error
// summary after a failed form), so that keyboard and screen-reader users
// start where the page says what went wrong. The page works without it.
// On "load", not earlier: going to the page's #fragment would take the
// focus back to the body.
window.addEventListener("load", function () {
  var target = document.querySelector("[data-focus-on-load]");
  if (target) {
    target.focus();
  }
});
