/* The Gantt (frappe-gantt): bars from the JSON the page carries; dragging or stretching a bar
 * posts the new dates with the task's version; a refusal puts the bar back and says why.
 * When live.js replaces the region (someone changed a task), the chart is drawn again from the
 * fresh JSON in the same scale and at the same scroll position. */
(function () {
  "use strict";

  var mode = "Day";
  var scroll = null;
  /* ids of the bars saved since the page loaded, newest last ("t12 t13"): dragging a bar also
   * moves the bars that wait for it, and their saves finish in any order */
  var saved = [];

  function iso(date) {
    var d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 10);
  }

  function init() {
    var box = document.querySelector("[data-gantt]");
    var data = document.getElementById("gantt-rows");
    if (!box || !data || !window.Gantt || box.getAttribute("data-ready") === "1") return;
    box.setAttribute("data-ready", "1");
    if (saved.length) box.setAttribute("data-saved", saved.join(" "));
    var rows = JSON.parse(data.textContent);
    var byId = {};
    rows.forEach(function (r) { byId[r.id] = r; });
    var readonly = box.getAttribute("data-readonly") === "1";
    var gantt = new window.Gantt(box, rows, {
      view_mode: mode,
      readonly: readonly,
      readonly_progress: true,
      today_button: true,
      scroll_to: scroll === null ? "today" : null,
      popup_on: "hover",
      on_date_change: function (task, start, end) {
        var row = byId[task.id];
        var form = new FormData();
        form.append("task", task.id);
        form.append("version", String(row.version));
        form.append("start", iso(start));
        /* frappe-gantt's end is exclusive: the last day is the day before */
        form.append("end", iso(new Date(end.getTime() - 1000)));
        fetch(box.getAttribute("data-dates-url"), {
          method: "POST",
          body: form,
          credentials: "same-origin",
          headers: window.kehuWork ? window.kehuWork.headers() : { "X-CSRFToken": csrf() },
        }).then(function (r) { return r.json().then(function (body) { return [r, body]; }); })
          .then(function (pair) {
            var response = pair[0], body = pair[1];
            if (response.ok) {
              row.version = body.version;
              if (window.kehuToast) window.kehuToast(body.message, "success");
              saved = saved.filter(function (id) { return id !== String(task.id); });
              saved.push(String(task.id));
              var current = document.querySelector("[data-gantt]") || box;
              current.setAttribute("data-saved", saved.join(" "));
            } else {
              if (window.kehuToast) window.kehuToast(body.error, "error");
              if (body.version) row.version = body.version;
              if (body.start) { row.start = body.start; row.end = body.end; }
              gantt.refresh(rows);
            }
          });
      },
    });
    var container = box.querySelector(".gantt-container");
    if (container && scroll !== null) container.scrollLeft = scroll;
    window.kehuGantt = gantt;
  }

  function bindModes() {
    document.querySelectorAll("[data-gantt-mode]").forEach(function (button) {
      button.addEventListener("click", function () {
        mode = button.getAttribute("data-gantt-mode");
        if (window.kehuGantt) window.kehuGantt.change_view_mode(mode);
      });
    });
  }

  /* keep where the reader is looking when the chart is drawn again */
  document.addEventListener("work:region-replacing", function (evt) {
    var container = evt.detail.region.querySelector(".gantt-container");
    if (container) scroll = container.scrollLeft;
  });
  document.addEventListener("work:region-replaced", init);
  document.addEventListener("DOMContentLoaded", bindModes);

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("DOMContentLoaded", init);
})();
