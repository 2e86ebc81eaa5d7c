// The forecast chart: bars per month from the JSON the page embeds (no inline script).
(function () {
  "use strict";
  const el = document.querySelector("[data-forecast-chart]");
  const source = document.getElementById("forecast-data");
  if (!el || !source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value" },
    series: data.series.map((s) => ({ name: s.name, type: "bar", data: s.data })),
  });
  window.addEventListener("resize", () => chart.resize());
})();
