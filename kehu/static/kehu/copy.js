// Copy buttons: <button data-copy="#field" data-copied="Copied"> copies the field's value (or
// text) to the clipboard and says so on the button for a moment. Works for buttons added later
// by HTMX too (one listener on the document).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = "value" in source ? source.value : source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    if (source.select) source.select();
    return;
  }
  const label = button.textContent;
  button.textContent = button.dataset.copied || label;
  setTimeout(() => {
    button.textContent = label;
  }, 1500);
});
