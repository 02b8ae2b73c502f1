/* Staff report maps (Leaflet, vendored). data-mode="coverage" (default): districts shaded by the share
   of their area within walking distance of the chosen category, with the area beyond walking distance
   darkened. data-mode="unmet": districts shaded by the number of people for whom no suitable activity
   (or no room) was found. Data comes from the staff GeoJSON endpoint in data-url; the same figures are
   in the tables on the page, so the map is an aid, not the only source. */
(function () {
  "use strict";
  var SHARE_COLOURS = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"];
  var UNMET_COLOURS = ["#f7f7f7", "#fee391", "#fec44f", "#ec7014", "#993404"];

  function shareColour(share) {
    if (share === null || share === undefined) { return "#cccccc"; }
    if (share >= 0.9999) { return SHARE_COLOURS[5]; }
    return SHARE_COLOURS[Math.min(4, Math.floor(share * 5))];
  }

  function unmetColour(n) {
    if (!n) { return UNMET_COLOURS[0]; }
    if (n <= 2) { return UNMET_COLOURS[1]; }
    if (n <= 4) { return UNMET_COLOURS[2]; }
    if (n <= 9) { return UNMET_COLOURS[3]; }
    return UNMET_COLOURS[4];
  }

  function popup(title, lines) {
    var box = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = title;
    box.appendChild(strong);
    lines.forEach(function (pair) {
      var line = document.createElement("div");
      line.textContent = pair[0] + ": " + pair[1];
      box.appendChild(line);
    });
    return box;
  }

  // Leaflet puts a string tooltip in as HTML: data values (district names come from imported
  // files) go in as an element holding text.
  function textOf(value) {
    var span = document.createElement("span");
    span.textContent = value === null || value === undefined ? "" : String(value);
    return span;
  }

  function describe(p, d, unmet) {
    if (unmet) {
      return popup(p.name, [[d.labelUnmet, String(p.unmet)], [d.labelNoSuitable, String(p.no_suitable_activity)],
        [d.labelNoCapacity, String(p.host_no_capacity)]]);
    }
    return popup(p.name, [[d.labelShare, p.covered_share === null ? "—" : Math.round(p.covered_share * 100) + "%"],
      [d.labelActivities, String(p.activities)], [d.labelSessions, String(p.sessions_per_week)]]);
  }

  function init(el) {
    var d = el.dataset;
    var unmet = d.mode === "unmet";
    var map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.25 });
    if (d.tiles) {
      L.tileLayer(d.tiles, { attribution: d.attribution || "", maxZoom: 18 }).addTo(map);
    }
    map.setView([34.692, 135.700], 12);
    fetch(d.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        var districts = L.geoJSON(data, {
          filter: function (f) { return f.properties.kind === "district"; },
          style: function (f) {
            var fill = unmet ? unmetColour(f.properties.unmet) : shareColour(f.properties.covered_share);
            return { color: "#333", weight: 1.5, fillColor: fill, fillOpacity: 0.7 };
          },
          onEachFeature: function (f, layer) {
            layer.bindPopup(describe(f.properties, d, unmet));
            layer.bindTooltip(textOf(f.properties.name), { sticky: true });
          }
        }).addTo(map);
        if (!unmet) {
          L.geoJSON(data, {
            filter: function (f) { return f.properties.kind === "uncovered"; },
            style: function () { return { color: "#222", weight: 0.5, fillColor: "#222", fillOpacity: 0.4 }; },
            interactive: false
          }).addTo(map);
        }
        if (districts.getLayers().length) { map.fitBounds(districts.getBounds().pad(0.03)); }
        el.setAttribute("data-loaded", "1");
      })
      .catch(function () {
        el.setAttribute("data-loaded", "error");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.L) { return; }
    ["coverage-map", "unmet-map"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { init(el); }
    });
  });
}());
