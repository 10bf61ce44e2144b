// The filter panel is closed in the page and shown open on wide screens by CSS
// (::details-content). Only a browser without that selector needs opening it here, and there
// the panel sits beside the results, so nothing below it moves.
(function () {
  var panel = document.querySelector(".filters-panel");
  if (panel && window.matchMedia("(min-width: 801px)").matches &&
      !(window.CSS && CSS.supports && CSS.supports("selector(::details-content)"))) {
    panel.open = true;
  }
})();
