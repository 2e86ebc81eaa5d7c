/* The kanban: drag a card to another column (status, person or label) with SortableJS.
 * The drop posts the card's version; the server answers the fresh board (or 409 with the newer
 * state and a message). WIP limits are checked here for a quick "no" and again on the server. */
(function () {
  "use strict";

  function toast(message, level) {
    if (window.kehuToast) window.kehuToast(message, level);
  }

  function columnCount(list) {
    return list.querySelectorAll("[data-task-id]").length;
  }

  function setup(board) {
    if (!board || !window.Sortable || board.getAttribute("data-ready") === "1") return;
    board.setAttribute("data-ready", "1");
    var moveUrl = board.getAttribute("data-move-url");
    var readonly = board.getAttribute("data-readonly") === "1";
    board.querySelectorAll("[data-column-list]").forEach(function (list) {
      window.Sortable.create(list, {
        group: {
          name: "kanban",
          put: function (to, from) {
            if (to.el === from.el) return true;
            var limit = parseInt(to.el.getAttribute("data-wip") || "0", 10);
            return !limit || columnCount(to.el) < limit;
          },
        },
        disabled: readonly,
        animation: 120,
        forceFallback: true, /* the same pointer-driven drag on mouse, touch and pen */
        fallbackTolerance: 3,
        delay: 150,
        delayOnTouchOnly: true,
        draggable: "[data-task-id]",
        filter: "a, button, input, select",
        preventOnFilter: false,
        onStart: function () { if (window.kehuWork) window.kehuWork.hold(); },
        onMove: function (evt) {
          var to = evt.to;
          var limit = parseInt(to.getAttribute("data-wip") || "0", 10);
          if (to !== evt.from && limit && columnCount(to) >= limit) {
            toast(board.getAttribute("data-wip-message").replace("%s", String(limit)), "error");
            return false;
          }
          return true;
        },
        onEnd: function (evt) {
          var card = evt.item;
          if (evt.from === evt.to && evt.oldIndex === evt.newIndex) {
            if (window.kehuWork) window.kehuWork.release();
            return;
          }
          var form = new FormData();
          form.append("task", card.getAttribute("data-task-id"));
          form.append("version", card.getAttribute("data-version"));
          form.append("column", evt.to.getAttribute("data-column"));
          form.append("position", String(evt.newIndex));
          post(board, moveUrl, form);
        },
      });
    });
  }

  function post(board, url, form) {
    fetch(url + location.search, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: window.kehuWork.headers({ "HX-Request": "true" }),
    }).then(function (response) {
      var message = response.headers.get("X-Kehu-Message");
      return response.text().then(function (html) {
        if (message) toast(decodeURIComponent(message), response.ok ? "success" : "error");
        if (window.kehuWork) window.kehuWork.release();
        var region = board.closest("[data-live-region]") || board;
        if (html) window.kehuWork.replaceRegion(region, html);
      });
    }).catch(function () {
      if (window.kehuWork) window.kehuWork.release();
      window.kehuWork.refresh();
    });
  }

  function init() {
    document.querySelectorAll("[data-kanban]").forEach(setup);
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("work:region-replaced", init);
  document.addEventListener("htmx:afterSwap", init);
})();
