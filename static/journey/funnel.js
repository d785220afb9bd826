// Funnel chart of the journey dashboard page: data comes from the json_script "funnel-data".
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("funnel-chart");
  var source = document.getElementById("funnel-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Reached the stage", data: data.reached, backgroundColor: "#4f6bed" },
        { label: "In the stage now", data: data.now, backgroundColor: "#9fb0f5" }
      ]
    },
    options: {
      indexAxis: "y",
      animation: false,
      responsive: true,
      plugins: { legend: { position: "bottom" } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
});
