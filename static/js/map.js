/* Leaflet map for the search results and activity pages. Markers come from the GeoJSON API
   (same filters as the list) or, when that is not available, from the list on the page itself.
   An element with data-lat/data-lon (activity page) gets one marker. Loaded by search.js. */
(function () {
  "use strict";
  var DEFAULT_CENTER = [34.692, 135.700];
  var maps = new WeakMap();

  function categories(el) {
    try { return JSON.parse(el.dataset.categories || "{}"); } catch (e) { return {}; }
  }

  function popup(name, url, label, detailLabel) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = name;
    box.appendChild(title);
    if (label) {
      var cat = document.createElement("div");
      cat.textContent = label;
      box.appendChild(cat);
    }
    if (url) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = detailLabel || name;
      box.appendChild(link);
    }
    return box;
  }

  function marker(lat, lon, cat, name, url, cats, detailLabel) {
    var info = cats[cat] || {};
    var m = L.circleMarker([lat, lon], {
      radius: 14, weight: 2, color: "#fff", fillColor: info.color || "#0b5394", fillOpacity: 1
    });
    m.bindPopup(popup(name, url, info.label, detailLabel));
    return m;
  }

  function fromList(cats, detailLabel) {
    var out = [];
    Array.prototype.forEach.call(document.querySelectorAll("[data-lat][data-lon][data-name]"), function (li) {
      out.push(marker(parseFloat(li.dataset.lat), parseFloat(li.dataset.lon), li.dataset.cat,
        li.dataset.name, li.dataset.url, cats, detailLabel));
    });
    return out;
  }

  function fromGeoJSON(data, cats, detailLabel) {
    var out = [];
    (data.features || []).forEach(function (f) {
      if (!f.geometry || f.geometry.type !== "Point") { return; }
      var p = f.properties || {};
      var c = f.geometry.coordinates;
      var url = p.detail_url || p.html_url || ("/activities/" + (p.id || f.id));
      out.push(marker(c[1], c[0], p.category, p.name || "", url, cats, detailLabel));
    });
    return out;
  }

  function init(el) {
    var d = el.dataset;
    var map = L.map(el, { scrollWheelZoom: false });
    maps.set(el, map);
    L.tileLayer(d.tiles, { attribution: d.attribution || "", maxZoom: 18 }).addTo(map);
    var cats = categories(el);
    var group = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false, animate: false, animateAddingMarkers: false }) : L.featureGroup();
    map.addLayer(group);
    var centre = d.centerLat ? [parseFloat(d.centerLat), parseFloat(d.centerLon)] : DEFAULT_CENTER;
    map.setView(centre, 14);

    function show(markers) {
      markers.forEach(function (m) { group.addLayer(m); });
      if (markers.length && !d.centerLat) {
        map.fitBounds(L.featureGroup(markers).getBounds().pad(0.1), { maxZoom: 16, animate: false });
      }
    }
    if (d.lat && d.lon) {
      show([marker(parseFloat(d.lat), parseFloat(d.lon), d.cat, d.name || "", null, cats)]);
      map.setView([parseFloat(d.lat), parseFloat(d.lon)], 16);
      return Promise.resolve(map);
    }
    if (!d.geojson) {
      show(fromList(cats, d.detailLabel));
      return Promise.resolve(map);
    }
    var features = [];
    function fetchPage(page) {
      return fetch(d.geojson + "&page=" + page, { headers: { Accept: "application/geo+json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          var got = data.features || [];
          features = features.concat(got);
          // Walk the API's pages (at most 20, i.e. 2,000 markers) until every match is on the map.
          if (got.length && features.length < (data.total || 0) && page < 20) { return fetchPage(page + 1); }
          return null;
        });
    }
    return fetchPage(1)
      .then(function () { show(fromGeoJSON({ features: features }, cats, d.detailLabel)); })
      .catch(function () { show(fromList(cats, d.detailLabel)); })
      .then(function () { return map; });
  }

  function refresh(el) {
    var map = maps.get(el);
    if (map) { map.invalidateSize(); }
  }

  window.OdekakeMap = { init: init, refresh: refresh };

})();
