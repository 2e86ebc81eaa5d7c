/* Kehu shell behaviour: CSRF for HTMX, toasts, live notifications, small Alpine components.
 * Loaded before Alpine (both deferred) so the components exist when Alpine starts.
 * Written for the CSP build of Alpine: directives name properties and methods only. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* ---- HTMX: CSRF header on every request; no eval ---- */
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRFToken"] = csrfToken();
  });
  if (window.htmx) {
    window.htmx.config.allowEval = false;
    window.htmx.config.includeIndicatorStyles = false;
  }

  /* ---- toasts ---- */
  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var el = document.createElement("div");
    el.className = "toast " + (level || "info");
    el.setAttribute("role", level === "error" || level === "danger" ? "alert" : "status");
    var text = document.createElement("div");
    text.textContent = message;
    var close = document.createElement("button");
    close.className = "toast-close";
    close.type = "button";
    close.setAttribute("aria-label", box.getAttribute("data-close-label") || "Close");
    close.textContent = "×";
    close.addEventListener("click", function () { el.remove(); });
    el.appendChild(text);
    el.appendChild(close);
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, level === "error" || level === "danger" ? 9000 : 5000);
  }
  window.kehuToast = toast;
  document.addEventListener("kehu:toast", function (evt) {
    var d = evt.detail || {};
    toast(d.message, d.level);
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var box = document.getElementById("toasts");
    var msg = box ? box.getAttribute("data-error-label") : "Error";
    toast(msg + " (" + evt.detail.xhr.status + ")", "error");
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-toast]").forEach(function (el) {
      toast(el.getAttribute("data-toast"), el.getAttribute("data-level"));
      el.remove();
    });
  });

  /* ---- saved views: save what the table shows now (filters may have changed by HTMX) ---- */
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form && form.matches && form.matches("[data-save-view]") && form.elements.query) {
      form.elements.query.value = location.search.replace(/^\?/, "");
    }
  });

  /* ---- forms that ask before doing something that cannot be taken back ---- */
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form && form.matches && form.matches("[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      evt.preventDefault();
    }
  });

  /* ---- live notifications over the WebSocket ---- */
  function setUnread(count) {
    document.querySelectorAll("[data-unread]").forEach(function (el) {
      el.setAttribute("data-count", String(count));
      el.textContent = count > 99 ? "99+" : String(count);
    });
  }

  function connectNotifications() {
    var body = document.body;
    if (!body || body.getAttribute("data-authenticated") !== "1" || !window.WebSocket) return;
    var delay = 1000;
    function open() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var ws = new WebSocket(scheme + location.host + "/ws/notifications/");
      ws.onopen = function () { delay = 1000; body.setAttribute("data-live", "1"); };
      ws.onmessage = function (evt) {
        var msg;
        try { msg = JSON.parse(evt.data); } catch (e) { return; }
        if (typeof msg.unread === "number") setUnread(msg.unread);
        if (msg.type === "notification") {
          toast(msg.title + (msg.body ? " — " + msg.body : ""), msg.level === "danger" ? "error" : "info");
          document.dispatchEvent(new CustomEvent("kehu:notification", { detail: msg }));
        }
      };
      ws.onclose = function (evt) {
        body.setAttribute("data-live", "0");
        if (evt.code === 4401) return; /* signed out: do not retry */
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
  }
  document.addEventListener("DOMContentLoaded", connectNotifications);

  /* ---- Alpine components ---- */
  document.addEventListener("alpine:init", function () {
    var Alpine = window.Alpine;
    Alpine.data("shell", function () {
      return {
        navOpen: false,
        toggleNav: function () { this.navOpen = !this.navOpen; },
        closeNav: function () { this.navOpen = false; },
        get navClass() { return this.navOpen ? "nav-open" : ""; },
      };
    });
    Alpine.data("dropdown", function () {
      return {
        open: false,
        toggle: function () { this.open = !this.open; },
        close: function () { this.open = false; },
      };
    });
    /* The table's bulk bar: counts the ticked rows (their checkboxes belong to its form). */
    Alpine.data("bulk", function () {
      return {
        action: "",
        ticked: 0,
        init: function () {
          var self = this;
          document.body.addEventListener("htmx:afterSwap", function () { self.count(); });
        },
        boxes: function () { return document.querySelectorAll("input.row-check[form=bulk-form]"); },
        count: function () {
          this.ticked = Array.prototype.filter.call(this.boxes(), function (b) { return b.checked; }).length;
        },
        toggleAll: function () {
          var boxes = this.boxes();
          var all = this.ticked < boxes.length;
          Array.prototype.forEach.call(boxes, function (b) { b.checked = all; });
          this.count();
        },
        get label() {
          var el = this.$el;
          return this.ticked ? this.ticked + " " + el.dataset.labelSome : el.dataset.labelNone;
        },
      };
    });
  });
})();
