// Charts of the vendor home page; data comes from the json_script blocks "stage-data" and
// "trend-data" (no inline script, so the page works under a strict CSP and offline).
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Chart === "undefined") return;
  var stages = document.getElementById("stage-data");
  if (stages) {
    var s = JSON.parse(stages.textContent);
    PartnerHubCharts.countBars(document.getElementById("stage-chart"), s.labels, [
      { label: "Partnerships now", data: s.counts, backgroundColor: "#4f6bed" }
    ], false);
  }
  var trend = document.getElementById("trend-data");
  if (trend) {
    var t = JSON.parse(trend.textContent);
    var fmt = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "currency", currency: t.currency });
    new Chart(document.getElementById("trend-chart"), {
      type: "line",
      data: {
        labels: t.labels,
        datasets: [
          { label: "Attributed MRR", data: t.mrr, borderColor: "#4f6bed", backgroundColor: "#4f6bed" },
          { label: "Commission cost", data: t.commission, borderColor: "#e8833a", backgroundColor: "#e8833a" }
        ]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + fmt.format(c.parsed.y); } } } },
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return fmt.format(v); } } } }
      }
    });
  }
});
