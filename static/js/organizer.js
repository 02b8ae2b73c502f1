/* Organizer listing form: server-side autosave, schedule builder parts, place map (Leaflet).
   The form works without this file: "下書き保存" saves, and the server geocodes the address. */
(function () {
  "use strict";
  var form = document.getElementById("listing-form");
  if (!form) { return; }

  function $(id) { return document.getElementById(id); }
  function checked(name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : "";
  }

  // ---- show only the parts of the schedule builder and place block that apply
  function toggleParts() {
    var kind = checked("schedule_kind");
    form.querySelectorAll(".schedule-part").forEach(function (part) {
      part.hidden = part.getAttribute("data-kinds").split(" ").indexOf(kind) < 0;
    });
    // 隔週's start date only when 隔週 is chosen (without JS it is always shown, with its hint).
    var anchor = $("anchor-field");
    if (anchor) { anchor.hidden = checked("interval") !== "2"; }
    var mode = checked("place_mode") || "new";
    form.querySelectorAll(".place-part").forEach(function (part) {
      part.hidden = part.getAttribute("data-mode") !== mode;
    });
    if (map && mode === "new") { setTimeout(function () { map.invalidateSize(); }, 0); }
  }

  // ---- autosave: POST the form (with its CSRF token) a moment after the last change
  var timer = null;
  var status = $("autosave-status");
  var sentence = $("schedule-sentence");
  function autosave() {
    var data = new FormData(form);
    data.delete("action");
    var token = form.querySelector('input[name="csrf_token"]').value;
    fetch(form.getAttribute("data-autosave-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    }).then(function (json) {
      var now = new Date();
      status.textContent = form.getAttribute("data-msg-saved") + " " +
        String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
      sentence.textContent = "";
      if (json.sentence) {
        sentence.appendChild(document.createTextNode(form.getAttribute("data-msg-sentence") + " "));
        var strong = document.createElement("strong");
        strong.textContent = json.sentence;
        sentence.appendChild(strong);
      }
    }).catch(function () {
      status.textContent = form.getAttribute("data-msg-failed");
    });
  }
  function scheduleSave() {
    // The staff upkeep form saves only when its button is pressed (no draft behind it).
    if (!form.getAttribute("data-autosave-url")) { return; }
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(autosave, 1500);
  }
  form.addEventListener("input", scheduleSave);
  form.addEventListener("change", function () { toggleParts(); scheduleSave(); });

  // ---- map: address → pin, drag or tap to correct; lat/lon fields stay the source of truth
  var map = null, marker = null;
  var mapEl = $("place-map");
  var lat = $("lat"), lon = $("lon"), level = $("geocode_level");
  function setPoint(la, lo, zoom) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    var ll = [la, lo];
    if (!marker) {
      marker = L.marker(ll, { draggable: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        setPoint(p.lat, p.lng);
        placedByHand();
        scheduleSave();
      });
    } else {
      marker.setLatLng(ll);
    }
    if (zoom) { map.setView(ll, zoom); }
  }
  function placedByHand() {
    level.value = "manual";
    var geoStatus = $("geocode-status");
    geoStatus.textContent = "";
    geoStatus.className = "geocode-status";
  }
  if (mapEl && window.L) {
    form.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });
    var start = [34.6929, 135.7004];
    var hasPoint = lat.value && lon.value && !isNaN(parseFloat(lat.value));
    map = L.map(mapEl).setView(hasPoint ? [parseFloat(lat.value), parseFloat(lon.value)] : start, hasPoint ? 16 : 13);
    L.tileLayer(mapEl.getAttribute("data-tile-url"), {
      maxZoom: 18, attribution: mapEl.getAttribute("data-attribution")
    }).addTo(map);
    if (hasPoint) { setPoint(parseFloat(lat.value), parseFloat(lon.value)); }
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng); placedByHand(); scheduleSave(); });
    var geoStatus = $("geocode-status");
    $("geocode-button").addEventListener("click", function () {
      var address = $("address").value;
      if (!address) { return; }
      fetch(mapEl.getAttribute("data-geocode-url") + "?address=" + encodeURIComponent(address), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.json(); }).then(function (json) {
        if (json.found) {
          setPoint(json.lat, json.lon, json.level === "gaiku" ? 17 : 15);
          level.value = json.level;
          // Say how precisely the address was found: a town centre is not the hall.
          geoStatus.textContent = (mapEl.getAttribute("data-msg-" + json.level) || "") + " (" + json.matched + ")";
          geoStatus.className = "geocode-status" + (json.level === "gaiku" ? "" : " geocode-status--approximate");
          scheduleSave();
        } else {
          geoStatus.textContent = mapEl.getAttribute("data-msg-not-found");
        }
      }).catch(function () {
        geoStatus.textContent = mapEl.getAttribute("data-msg-not-found");
      });
    });
  }
  toggleParts();
})();
