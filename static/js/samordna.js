/* Small behaviours that htmx does not cover. Loaded as a file: the pages have no inline script
   (a strict Content-Security-Policy is the goal). Everything works by event delegation on
   data attributes, so content that htmx swaps in needs no set-up. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy-target]");
    if (copy) {
      var field = document.getElementById(copy.dataset.copyTarget);
      if (!field) { return; }
      field.select();
      var done = function () { copy.textContent = copy.dataset.copiedText || copy.textContent; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(done);
      } else {
        done();
      }
      return;
    }
    var remove = event.target.closest("[data-remove-closest]");
    if (remove) {
      var item = remove.closest(remove.dataset.removeClosest);
      var focus = remove.dataset.focusAfter && document.getElementById(remove.dataset.focusAfter);
      if (item) { item.remove(); }
      // Keyboard users keep their place: the removed button cannot hold focus any more.
      if (focus) { focus.focus(); }
    }
  });

  // Enter in a live search must not submit the surrounding form (e.g. the consent form), and
  // Enter in a plan row being edited means "Klar" rather than saving the whole plan.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") { return; }
    var scope = event.target.closest("[data-enter]");
    if (!scope) { return; }
    event.preventDefault();
    if (scope.dataset.enter !== "stay") {
      var button = document.getElementById(scope.dataset.enter);
      if (button) { button.click(); }
    }
  });
})();
