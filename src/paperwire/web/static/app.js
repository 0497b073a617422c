/* paperwire: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // KaTeX auto-render (served locally from /static/vendor/katex): $...$, $$...$$, \(...\), \[...\]
  // inside elements marked .math. The HTML holds the escaped text; KaTeX only reads text nodes.
  var DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false }
  ];

  function renderMath(root) {
    if (typeof window.renderMathInElement !== "function") return;
    var nodes = root.querySelectorAll(".math:not([data-math])");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].setAttribute("data-math", "1");
      try {
        window.renderMathInElement(nodes[i], { delimiters: DELIMITERS, throwOnError: false, strict: "ignore" });
      } catch (e) { /* leave the text as it is */ }
    }
  }

  // "Copy BibTeX": shown only where the clipboard API exists; the text stays selectable anyway.
  function setupCopy(root) {
    var buttons = root.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      if (!navigator.clipboard) continue;
      button.hidden = false;
      button.addEventListener("click", function (event) {
        var btn = event.currentTarget;
        var source = document.querySelector(btn.getAttribute("data-copy"));
        var status = btn.parentNode.querySelector(".copied");
        navigator.clipboard.writeText(source.textContent).then(function () {
          if (status) status.textContent = "Copied to the clipboard";
        }, function () {
          if (status) status.textContent = "Could not copy: select the text instead";
          var range = document.createRange();
          range.selectNodeContents(source);
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
        });
      });
    }
  }

  // <select data-autosubmit> sends its form on a change (no inline handler: the CSP allows none)
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });

  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document);
    setupCopy(document);
  });
  // "Show more papers" appends cards through htmx: render their math too
  document.addEventListener("htmx:after:swap", function () { renderMath(document); });
})();
