// One place for the horizontal count charts (home page stages, journey funnel, portal
// referral funnel): Chart.js bars, whole numbers, no animation. Data comes from json_script
// blocks, so pages need no inline script.
window.PartnerHubCharts = {
  countBars: function (canvas, labels, datasets, showLegend) {
    if (!canvas || typeof Chart === "undefined") return null;
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: "y",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: showLegend ? { position: "bottom" } : { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }
};
