/*
 * PartnerHub referral snippet (no dependencies, ~1 KB). Serve it from your own site:
 *
 *   <script src="https://<partnerhub host>/static/js/partnerhub-referral.js" data-window-days="90" defer></script>
 *
 * On a page opened from a PartnerHub referral link (/r/<code>), the URL carries
 * ?ph_ref=<referral code>&ph_click=<click id> (a plain ?ref=<code> works too). The snippet keeps
 * them in a first-party cookie on YOUR domain ("ph_ref", for data-window-days, default 90,
 * the program's attribution window), last click wins in the cookie; the server applies the
 * program's first- or last-click model.
 *
 * At signup, read window.PartnerHub.referral() -> {code, click} | null and send it with the
 * signup form (or call window.PartnerHub.fillForm(form) to add hidden inputs "ph_ref" and
 * "ph_click"). Your backend then calls:
 *
 *   POST /api/v1/referrals   Authorization: Bearer <API key>
 *   {"external_id": "<your customer id>", "email": "...", "referral_code": "<code>",
 *    "click_id": "<click id>"}
 *
 * The API key must never be used in the browser.
 */
(function () {
  "use strict";
  var COOKIE = "ph_ref";
  var script = document.currentScript;
  var days = parseInt((script && script.getAttribute("data-window-days")) || "90", 10);
  if (!(days > 0)) days = 90;

  function clean(value) {
    // Codes and click ids are short and alphanumeric (plus "_"); anything else is ignored.
    return value && /^[A-Za-z0-9_]{1,40}$/.test(value) ? value : "";
  }

  function read() {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].indexOf(COOKIE + "=") === 0) {
        var v = decodeURIComponent(parts[i].slice(COOKIE.length + 1)).split(".");
        var code = clean(v[0]);
        return code ? { code: code, click: clean(v[1] || "") } : null;
      }
    }
    return null;
  }

  function capture() {
    var params = new URLSearchParams(window.location.search);
    var code = clean(params.get("ph_ref") || params.get("ref"));
    if (!code) return;
    var click = clean(params.get("ph_click"));
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = COOKIE + "=" + encodeURIComponent(code + "." + click) +
      "; Max-Age=" + days * 86400 + "; Path=/; SameSite=Lax" + secure;
  }

  function fillForm(form) {
    var ref = read();
    if (!ref || !form) return;
    [["ph_ref", ref.code], ["ph_click", ref.click]].forEach(function (pair) {
      var input = form.querySelector('input[name="' + pair[0] + '"]');
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = pair[0];
        form.appendChild(input);
      }
      input.value = pair[1];
    });
  }

  capture();
  window.PartnerHub = { referral: read, fillForm: fillForm };
})();
