/* Live work pages: a WebSocket tells which task or goal changed; the page re-fetches its own
 * fragment through the normal (scoped) view. Nothing about a task comes over the socket but its id.
 *
 * Markup: an element with [data-live-region] and data-refresh-url="…" is replaced by the HTML
 * that URL answers (with the page's query string). Cards inside carry data-task-id, goal rows
 * data-goal-id; a region drawn by a script (the Gantt) lists its ids in data-watch-ids.
 *
 * Every page has its own client id, sent with its writes (X-Kehu-Client) and with its watch
 * message: the ping for a change made by this very page says "own" and is skipped (the page
 * already shows it); the same person's other tabs refresh like everyone else's. */
(function () {
  "use strict";

  var regions = function () { return document.querySelectorAll("[data-live-region]"); };
  var pending = null;
  var socket = null;
  var busy = 0; /* a drag in progress: refresh after it ends */
  var clientId = "p" + Math.random().toString(36).slice(2, 12) + Date.now().toString(36);

  function collect(selector, attr, into) {
    document.querySelectorAll(selector).forEach(function (el) {
      (el.getAttribute(attr) || "").split(/[\s,]+/).forEach(function (part) {
        var n = parseInt(part, 10);
        if (!isNaN(n) && into.indexOf(n) < 0) into.push(n);
      });
    });
    return into;
  }

  function shownIds() {
    var ids = collect("[data-live-region] [data-task-id]", "data-task-id", []);
    return collect("[data-live-region][data-watch-ids]", "data-watch-ids", ids);
  }

  function shownGoals() {
    return collect("[data-live-region] [data-goal-id]", "data-goal-id", []);
  }

  function sendWatch() {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify({
        type: "watch", ids: shownIds(), goals: shownGoals(), client: clientId,
      }));
    }
  }

  function editing() {
    return document.querySelector("[data-live-region] .quick-form");
  }

  function refresh() {
    /* a drag in progress or an open in-place form: refresh once it is over */
    if (busy || editing()) { pending = true; return; }
    regions().forEach(function (region) {
      var url = region.getAttribute("data-refresh-url");
      if (!url) return;
      var query = location.search || "";
      fetch(url + (url.indexOf("?") < 0 ? query : query.replace(/^\?/, "&")), {
        credentials: "same-origin",
        headers: { "HX-Request": "true", "X-Requested-With": "fetch" },
      }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
        if (html === null) return;
        replaceRegion(region, html);
      });
    });
  }

  function replaceRegion(region, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("[data-live-region]") || holder.firstElementChild;
    if (!fresh) return;
    document.dispatchEvent(new CustomEvent("work:region-replacing", { detail: { region: region } }));
    region.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    document.dispatchEvent(new CustomEvent("work:region-replaced", { detail: { region: fresh } }));
    sendWatch();
  }

  function schedule() {
    if (pending && pending !== true) return;
    /* a short pause folds a burst of pings (a template of twenty tasks) into one fetch */
    pending = setTimeout(function () { pending = null; refresh(); }, 60);
  }

  /* The division table can hold thousands of cards: a change to one card fetches that card
   * alone (with the cell it belongs in now) and puts it there at once; the whole table (gap
   * marks, counts) follows after a quiet moment. A card that is new to the table, or whose cell
   * is not shown, takes the full refresh. */
  var settleTimer = null;

  function settleLater() {
    if (settleTimer) clearTimeout(settleTimer);
    settleTimer = setTimeout(function () { settleTimer = null; schedule(); }, 2000);
  }

  function placeCard(region, taskId) {
    var query = (location.search || "").replace(/^\?/, "");
    var url = region.getAttribute("data-card-url").replace(/\/0\/$/, "/" + taskId + "/");
    fetch(url + "?place=1" + (query ? "&" + query : ""), {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-Requested-With": "fetch" },
    }).then(function (r) {
      return r.text().then(function (html) { return [r, html]; });
    }).then(function (pair) {
      var response = pair[0], html = pair[1];
      var old = document.getElementById("card-" + taskId);
      if (!old || !region.isConnected || (old.querySelector(".quick-form"))) { schedule(); return; }
      if (response.status === 204 || response.status === 404) {
        old.remove();
        settleLater();
        return;
      }
      var cell = region.querySelector('[data-cell="' + (response.headers.get("X-Kehu-Cell") || "") + '"]');
      if (!response.ok || !cell) { schedule(); return; }
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var card = holder.firstElementChild;
      if (!card) { schedule(); return; }
      if (old.parentNode === cell) old.replaceWith(card);
      else { old.remove(); cell.appendChild(card); }
      if (window.htmx) window.htmx.process(card);
      var goal = (response.headers.get("X-Kehu-Goal") || "").split(":");
      if (goal.length === 2) {
        region.querySelectorAll('[data-goal-id="' + goal[0] + '"] > .progress').forEach(function (bar) {
          bar.setAttribute("aria-valuenow", goal[1]);
          var fill = bar.querySelector(".progress-bar");
          if (fill) fill.style.width = goal[1] + "%";
        });
      }
      document.dispatchEvent(new CustomEvent("work:card-placed", { detail: { card: card } }));
      settleLater();
    }).catch(schedule);
  }

  /* a changed task shown as a card in a region that can place single cards */
  function tryPlace(msg) {
    if (msg.type !== "task.changed" || busy || editing()) return false;
    var card = document.getElementById("card-" + msg.task_id);
    var region = card && card.closest("[data-live-region][data-card-url]");
    if (!region) return false;
    placeCard(region, msg.task_id);
    return true;
  }

  function settle() {
    if (pending === true && !busy && !editing()) { pending = null; refresh(); }
  }

  function connect() {
    if (!regions().length || !window.WebSocket) return;
    var delay = 1000;
    function open() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + "/ws/work/");
      socket.onopen = function () {
        delay = 1000;
        document.body.setAttribute("data-work-live", "1");
        sendWatch();
      };
      socket.onmessage = function (evt) {
        var msg;
        try { msg = JSON.parse(evt.data); } catch (e) { return; }
        if (/^(task|goal)\.(changed|created|deleted)$/.test(msg.type || "")) {
          document.dispatchEvent(new CustomEvent("work:task-event", { detail: msg }));
          /* this very page already shows its own change */
          if (!msg.own && !tryPlace(msg)) schedule();
        }
      };
      socket.onclose = function (evt) {
        document.body.setAttribute("data-work-live", "0");
        if (evt.code === 4401) return;
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
  }

  window.kehuWork = {
    replaceRegion: replaceRegion,
    refresh: refresh,
    hold: function () { busy += 1; },
    release: function () {
      busy = Math.max(0, busy - 1);
      settle();
    },
    sendWatch: sendWatch,
    clientId: clientId,
    /* headers for a write made by a script: CSRF and this page's client id */
    headers: function (extra) {
      var out = { "X-CSRFToken": window.kehuWork.csrf(), "X-Kehu-Client": clientId };
      Object.keys(extra || {}).forEach(function (k) { out[k] = extra[k]; });
      return out;
    },
    csrf: function () {
      var meta = document.querySelector('meta[name="csrf-token"]');
      return meta ? meta.getAttribute("content") : "";
    },
  };
  document.addEventListener("htmx:afterSwap", function () { sendWatch(); settle(); });
  /* htmx writes (in-place edits) say which page made them */
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-Kehu-Client"] = clientId;
  });
  /* a refused in-place edit (409 stale version, 400 invalid) answers the card with the newer
     values and the reason: show it instead of dropping it */
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if ((status === 409 || status === 400) && evt.detail.target.closest("[data-live-region]")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
      var message = evt.detail.xhr.getResponseHeader("X-Kehu-Message");
      if (message && window.kehuToast) window.kehuToast(decodeURIComponent(message), "error");
    }
  });
  document.addEventListener("DOMContentLoaded", connect);
})();
