// Collapse the filter panel on narrow screens; with JavaScript off it stays open.
(function () {
  var panel = document.querySelector(".filters-panel");
  if (panel && window.matchMedia("(max-width: 800px)").matches) {
    panel.open = false;
  }
})();
