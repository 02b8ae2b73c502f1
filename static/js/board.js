// Kanban drag (optional enhancement): dropping a card on a column opens that card's stage form with
// the column's stage chosen and the reason field focused — the move is still a form that asks why.
(function () {
  "use strict";
  var board = document.querySelector(".kanban");
  if (!board) { return; }
  var dragged = null;
  board.querySelectorAll(".kanban__card").forEach(function (card) {
    if (!card.querySelector(".stage-form")) { return; }
    card.setAttribute("draggable", "true");
    card.addEventListener("dragstart", function (ev) {
      dragged = card;
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", card.dataset.placement || "");
    });
    card.addEventListener("dragend", function () { dragged = null; });
  });
  board.querySelectorAll(".kanban__column").forEach(function (column) {
    column.addEventListener("dragover", function (ev) {
      if (dragged) { ev.preventDefault(); column.classList.add("is-drop-target"); }
    });
    column.addEventListener("dragleave", function () { column.classList.remove("is-drop-target"); });
    column.addEventListener("drop", function (ev) {
      ev.preventDefault();
      column.classList.remove("is-drop-target");
      if (!dragged) { return; }
      var select = dragged.querySelector("select[name=stage]");
      var option = select && select.querySelector("option[value='" + column.dataset.stage + "']");
      if (!option) { return; }
      select.value = column.dataset.stage;
      var details = dragged.querySelector("details");
      if (details) { details.open = true; }
      var reason = dragged.querySelector("input[name=reason]");
      if (reason) { reason.focus(); }
    });
  });
})();
