// Partner portal referral links: "Copy link" buttons and QR codes (vendored qrcode-generator,
// drawn as SVG from the link in data-qr; no network, no inline script).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy"));
      var done = function () {
        var label = button.textContent;
        button.textContent = "Copied!";
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
  if (typeof qrcode === "undefined") return;
  document.querySelectorAll("[data-qr]").forEach(function (box) {
    var qr = qrcode(0, "M");
    qr.addData(box.getAttribute("data-qr"));
    qr.make();
    box.innerHTML = qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true });
  });
});
