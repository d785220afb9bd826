// The portal's referral funnel (clicks → customers → paying customers): data from the
// json_script "referral-funnel-data"; the table next to it has the same numbers.
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("referral-funnel-chart");
  var source = document.getElementById("referral-funnel-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ label: "Referrals", data: data.values, backgroundColor: ["#9fb0f5", "#4f6bed", "#2b3fa8"] }]
    },
    options: {
      indexAxis: "y",
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
});
