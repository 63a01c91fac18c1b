// Phones and tablets. Without JavaScript the menu simply stays open (every link listed) and tables still
// stack into one block per row; this script adds the two things that need it.
(function () {
  // 1. The collapsed menu: a disclosure button (aria-expanded) shown only on narrow screens by the CSS.
  var button = document.querySelector(".menu-toggle");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (button && menu) {
    document.documentElement.classList.add("menu-collapsible");
    button.hidden = false;
    var setOpen = function (open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-open", open);
    };
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes the open menu and puts focus back on its button, wherever focus was inside it.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") return;
      if (menu.contains(document.activeElement) || document.activeElement === button) {
        setOpen(false);
        button.focus();
      }
    });
  }

  // 2. Stacked table rows on a phone show each cell's column name (from the header) before its value.
  function labelCells(root) {
    root.querySelectorAll("table.table").forEach(function (table) {
      var headRow = table.tHead && table.tHead.rows[0];
      if (!headRow) return;
      var names = [];
      Array.prototype.forEach.call(headRow.cells, function (cell) {
        var span = cell.colSpan || 1;
        for (var i = 0; i < span; i++) names.push(cell.textContent.trim());
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && names[column]) {
              cell.setAttribute("data-label", names[column]);
            }
            column += cell.colSpan || 1;
          });
        });
      });
    });
  }
  labelCells(document);
  document.addEventListener("htmx:afterSettle", function () { labelCells(document); });
})();
