// Process map downloads: a button with data-processmap-download="svg" or "png" and
// data-target="#svg-id" (optional data-filename) saves the shown map. PNG is drawn on a canvas
// at twice the size. No inline script: loaded as a module, works under the strict CSP.
function svgText(svg) {
  const clone = svg.cloneNode(true);
  clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(clone);
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function downloadSvg(svg, name) {
  save(new Blob([svgText(svg)], { type: "image/svg+xml;charset=utf-8" }), name + ".svg");
}

function downloadPng(svg, name) {
  const box = svg.viewBox && svg.viewBox.baseVal;
  const width = (box && box.width) || svg.clientWidth;
  const height = (box && box.height) || svg.clientHeight;
  const scale = 2;
  const image = new Image();
  image.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = width * scale;
    canvas.height = height * scale;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    canvas.toBlob((blob) => blob && save(blob, name + ".png"), "image/png");
  };
  image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svgText(svg));
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-processmap-download]");
  if (!button) return;
  const svg = document.querySelector(button.dataset.target || "svg.processmap, figure svg");
  if (!svg) return;
  const name = button.dataset.filename || "process-map";
  if (button.dataset.processmapDownload === "png") downloadPng(svg, name);
  else downloadSvg(svg, name);
});
