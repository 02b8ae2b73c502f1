/* Staff coverage map: districts shaded by the share of their area within walking distance of the
   chosen category, and the area beyond walking distance hatched. Data: the staff GeoJSON endpoint.
   The same figures are in the table on the page, so the map is an aid, not the only source. */
(function () {
  "use strict";
  var COLOURS = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"];

  function colour(share) {
    if (share === null || share === undefined) { return "#cccccc"; }
    if (share >= 0.9999) { return COLOURS[5]; }
    return COLOURS[Math.min(4, Math.floor(share * 5))];
  }

  function label(p, d) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.name;
    box.appendChild(title);
    [[d.labelShare, p.covered_share === null ? "—" : Math.round(p.covered_share * 100) + "%"],
     [d.labelActivities, String(p.activities)],
     [d.labelSessions, String(p.sessions_per_week)]].forEach(function (pair) {
      var line = document.createElement("div");
      line.textContent = pair[0] + ": " + pair[1];
      box.appendChild(line);
    });
    return box;
  }

  function init(el) {
    var d = el.dataset;
    var map = L.map(el, { scrollWheelZoom: false });
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
            return { color: "#333", weight: 1.5, fillColor: colour(f.properties.covered_share), fillOpacity: 0.65 };
          },
          onEachFeature: function (f, layer) {
            layer.bindPopup(label(f.properties, d));
            layer.bindTooltip(f.properties.name, { sticky: true });
          }
        }).addTo(map);
        L.geoJSON(data, {
          filter: function (f) { return f.properties.kind === "uncovered"; },
          style: function () {
            return { color: "#222", weight: 0.5, dashArray: "2 3", fillColor: "#222", fillOpacity: 0.18 };
          },
          interactive: false
        }).addTo(map);
        if (districts.getLayers().length) { map.fitBounds(districts.getBounds().pad(0.05)); }
        el.setAttribute("data-loaded", "1");
      })
      .catch(function () {
        el.setAttribute("data-loaded", "error");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("coverage-map");
    if (el && window.L) { init(el); }
  });
}());
