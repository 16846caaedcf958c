// Venue scoreboard: polls the board's JSON every few seconds and redraws it.
// Plain DOM with textContent only (names come from the server, never as HTML).
(function () {
  "use strict";
  var board = document.getElementById("scoreboard");
  if (!board) return;
  var labels = JSON.parse(document.getElementById("scoreboard-labels").textContent);
  var seconds = parseInt(board.dataset.seconds, 10) || 10;

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function row(cells) {
    var tr = el("tr");
    cells.forEach(function (cell) { tr.appendChild(el("td", cell[0], cell[1])); });
    return tr;
  }

  function rankingTable(data) {
    var fragment = document.createDocumentFragment();
    var table = el("table", null, "ranking");
    var head = el("tr");
    ["rank", "name", "unit", "total", "award"].forEach(function (key) {
      head.appendChild(el("th", labels[key]));
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    data.ranking.forEach(function (entry) {
      body.appendChild(row([
        [entry.rank, "rank"], [entry.name], [entry.unit], [entry.total, "num"], [entry.award, "award"]
      ]));
    });
    fragment.appendChild(table);
    if (data.more) {
      fragment.appendChild(el("p", labels.more.replace("%(count)s", data.more), "more"));
    }
    return fragment;
  }

  function progressList(data) {
    var fragment = document.createDocumentFragment();
    data.stages.forEach(function (stage) {
      var section = el("section", null, "stage");
      var title = el("h2", stage.name + " ");
      title.appendChild(el("small", stage.status + " · " + labels.sheets + " " + stage.done + " / " + stage.expected));
      section.appendChild(title);
      var bar = el("progress");
      bar.max = stage.expected || 1;
      bar.value = stage.done;
      section.appendChild(bar);
      if (stage.rooms.length > 1) {
        var body = section.appendChild(el("table")).appendChild(el("tbody"));
        stage.rooms.forEach(function (room) {
          body.appendChild(row([[room.room], [room.done + " / " + room.expected, "num"]]));
        });
      }
      fragment.appendChild(section);
    });
    return fragment;
  }

  function render(data) {
    document.getElementById("board-title").textContent = data.competition;
    document.getElementById("board-round").textContent = data.round;
    document.getElementById("board-status").textContent = data.status;
    document.getElementById("board-updated").textContent = data.updated;
    var target = document.getElementById("board-body");
    target.replaceChildren(data.phase === "ranking" ? rankingTable(data) : progressList(data));
  }

  function poll() {
    fetch(board.dataset.url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(render)
      .catch(function () { /* keep the last board on screen; try again next time */ })
      .then(function () { setTimeout(poll, seconds * 1000); });
  }
  setTimeout(poll, seconds * 1000);
})();
