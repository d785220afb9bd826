// Funnel chart of the journey dashboard page: data comes from the json_script "funnel-data".
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("funnel-data");
  if (!source) return;
  var data = JSON.parse(source.textContent);
  PartnerHubCharts.countBars(document.getElementById("funnel-chart"), data.labels, [
    { label: "Reached the stage", data: data.reached, backgroundColor: "#4f6bed" },
    { label: "In the stage now", data: data.now, backgroundColor: "#9fb0f5" }
  ], true);
});
