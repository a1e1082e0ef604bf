// Hand-written SVG charts and map (no third-party code, nothing from another host).
"use strict";

const TBCharts = (() => {
  const { el } = TB;

  // Horizontal bar chart of [{key, label, count}] with the same numbers in a table.
  function bars(container, rows, { caption }) {
    TB.clear(container);
    if (!rows.length) {
      container.append(el("p", { text: TB.t("dash.nodata") }));
      return;
    }
    const max = Math.max(...rows.map((r) => r.count), 1);
    const rowH = 42;
    const width = 460;
    const barW = width - 60;
    const svg = el("svg", {
      class: "chart",
      viewBox: `0 0 ${width} ${rows.length * rowH + 4}`,
      role: "img",
      "aria-label": caption,
    });
    rows.forEach((r, i) => {
      const y = i * rowH;
      const w = Math.max(2, Math.round((r.count / max) * barW));
      const label = r.label.length > 52 ? `${r.label.slice(0, 51)}…` : r.label;
      svg.append(
        el(
          "g",
          { class: "bar-row", "data-key": r.key, "data-count": String(r.count) },
          el("title", { text: `${r.label}: ${r.count}` }),
          el("text", { x: 0, y: y + 15, text: label }),
          el("rect", { class: "bar", x: 0, y: y + 21, width: w, height: 16, rx: 2 }),
          el("text", { x: w + 6, y: y + 34, text: String(r.count) })
        )
      );
    });
    container.append(svg);
    const table = el(
      "table",
      { class: "data" },
      el("caption", { class: "sr-only", text: caption }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: TB.t("dash.group") }), el("th", { scope: "col", class: "num", text: TB.t("dash.count") })))
    );
    const body = el("tbody");
    for (const r of rows) body.append(el("tr", { "data-key": r.key }, el("td", { text: r.label }), el("td", { class: "num", text: String(r.count) })));
    table.append(body);
    container.append(el("details", {}, el("summary", { text: TB.t("dash.table") }), table));
  }

  // Equirectangular projection scaled by cos(latitude): good enough at a province's size.
  function projector(features) {
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    const visit = (coords) => {
      if (typeof coords[0] === "number") {
        minX = Math.min(minX, coords[0]);
        maxX = Math.max(maxX, coords[0]);
        minY = Math.min(minY, coords[1]);
        maxY = Math.max(maxY, coords[1]);
      } else coords.forEach(visit);
    };
    features.forEach((f) => visit(f.geometry.coordinates));
    const k = Math.cos((((minY + maxY) / 2) * Math.PI) / 180);
    const width = 800;
    const scale = width / ((maxX - minX) * k || 1);
    const height = Math.max(200, Math.round((maxY - minY) * scale));
    return {
      width,
      height,
      project: (lon, lat) => [((lon - minX) * k * scale).toFixed(1), ((maxY - lat) * scale).toFixed(1)],
      scale,
      k,
    };
  }

  function pathOf(geometry, project) {
    const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    let d = "";
    for (const poly of polys) for (const ring of poly) d += "M" + ring.map(([x, y]) => project(x, y).join(",")).join("L") + "Z";
    return d;
  }

  function map(container, boundaries, hotspots, { caption }) {
    TB.clear(container);
    const features = boundaries.features || [];
    if (!features.length) {
      container.append(el("p", { text: TB.t("dash.nodata") }));
      return;
    }
    const pr = projector(features);
    const svg = el("svg", { class: "map", viewBox: `0 0 ${pr.width} ${pr.height}`, role: "img", "aria-label": caption });
    const g = el("g");
    for (const f of features) {
      g.append(el("path", { class: "commune", d: pathOf(f.geometry, pr.project), "data-code": f.properties.code }, el("title", { text: f.properties.name })));
    }
    svg.append(g);
    const cells = (hotspots && hotspots.cells) || [];
    const max = Math.max(...cells.map((c) => c.count), 1);
    for (const c of cells) {
      const [x, y] = pr.project(c.lon, c.lat);
      const r = 4 + 16 * Math.sqrt(c.count / max);
      svg.append(el("circle", { class: "spot", cx: x, cy: y, r: r.toFixed(1), "data-count": String(c.count) }, el("title", { text: `${c.count}` })));
    }
    container.append(svg);
    if (cells.length) {
      const list = el("ul", { class: "help" });
      for (const c of cells.slice(0, 10)) list.append(el("li", { text: `${c.lat.toFixed(3)}, ${c.lon.toFixed(3)}: ${c.count}` }));
      container.append(el("details", {}, el("summary", { text: TB.t("dash.table") }), list));
    } else container.append(el("p", { class: "help", text: TB.t("dash.nospots") }));
  }

  return { bars, map };
})();
