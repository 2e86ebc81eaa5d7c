// The pipeline board: SortableJS moves cards between stage columns; each drop posts the move
// (CSRF header), a lost stage first asks for the reason in a dialog, and a refused move shows
// the server's message and puts the card back where it was.
(function () {
  "use strict";
  const board = document.querySelector("[data-board]");
  if (!board || typeof Sortable === "undefined") return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const errorBox = document.querySelector("[data-board-error]");
  const dialog = document.querySelector("[data-lost-dialog]");

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function putBack(evt) {
    const item = evt.item;
    const list = evt.from;
    const before = list.children[evt.oldIndex] || null;
    list.insertBefore(item, before);
  }

  function askReason() {
    return new Promise((resolve) => {
      const field = dialog.querySelector("[data-lost-reason]");
      const error = dialog.querySelector("[data-lost-error]");
      field.value = "";
      error.hidden = true;
      function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue === "ok" ? field.value.trim() : null);
      }
      dialog.querySelector("[data-lost-ok]").onclick = (e) => {
        if (!field.value.trim()) {
          e.preventDefault();
          error.hidden = false;
          field.focus();
        }
      };
      dialog.addEventListener("close", onClose);
      dialog.returnValue = "";
      dialog.showModal();
      field.focus();
    });
  }

  function updateSummary(summary) {
    for (const [stage, data] of Object.entries(summary || {})) {
      const col = board.querySelector(`.board-col[data-stage="${stage}"]`);
      if (!col) continue;
      const set = (sel, value) => {
        const el = col.querySelector(sel);
        if (el) el.textContent = value;
      };
      set("[data-col-count]", data.count);
      set("[data-col-total]", data.total);
      set("[data-col-weighted]", data.weighted);
      set("[data-col-overdue-n]", data.overdue);
      const overdue = col.querySelector("[data-col-overdue]");
      if (overdue) overdue.hidden = !data.overdue;
    }
  }

  async function onDrop(evt) {
    if (evt.from === evt.to) return;
    const card = evt.item;
    const column = evt.to.closest(".board-col");
    let reason = "";
    errorBox.hidden = true;
    if (column.dataset.kind === "lost") {
      reason = await askReason();
      if (reason === null) {
        putBack(evt);
        return;
      }
    }
    const body = new URLSearchParams({
      stage: column.dataset.stage,
      version: card.dataset.version,
      reason: reason,
      query: board.dataset.query || "",
    });
    card.classList.add("is-saving");
    let response;
    let data = {};
    try {
      response = await fetch(board.dataset.moveUrl.replace("/0/", `/${card.dataset.deal}/`), {
        method: "POST",
        headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch" },
        body: body,
        credentials: "same-origin",
      });
      data = await response.json().catch(() => ({}));
    } catch (err) {
      response = null;
    }
    card.classList.remove("is-saving");
    if (!response || !response.ok || !data.ok) {
      putBack(evt);
      if (data.version) card.dataset.version = data.version;
      showError(data.message || errorBox.dataset.fallback);
      return;
    }
    card.dataset.version = data.version;
    const owner = card.querySelector("[data-deal-owner]");
    if (owner) owner.textContent = data.owner || "—";
    card.classList.remove("is-overdue");
    updateSummary(data.summary);
    if (window.kehuToast) window.kehuToast(data.message, "success");
  }

  board.querySelectorAll("[data-cards]").forEach((list) => {
    Sortable.create(list, {
      group: "deals",
      animation: 150,
      ghostClass: "deal-ghost",
      // Pointer events instead of native drag and drop: the same on phones, mice and tests.
      forceFallback: true,
      fallbackOnBody: true,
      fallbackTolerance: 4,
      delayOnTouchOnly: true,
      delay: 150,
      onEnd: onDrop,
    });
  });
})();
