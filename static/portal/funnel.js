// The portal's referral funnel (clicks → customers → paying customers): data from the
// json_script "referral-funnel-data"; the table next to it has the same numbers.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("referral-funnel-data");
  if (!source) return;
  var data = JSON.parse(source.textContent);
  PartnerHubCharts.countBars(document.getElementById("referral-funnel-chart"), data.labels, [
    { label: "Referrals", data: data.values, backgroundColor: ["#9fb0f5", "#4f6bed", "#2b3fa8"] }
  ], false);
});
