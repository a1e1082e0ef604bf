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
    // Drawn at the width it is shown at, so that its 14 px text stays 14 px on a phone
    // (a fixed 460-unit drawing scaled into a 280 px card had 8 px labels).
    const width = Math.max(240, Math.round(container.clientWidth || 460));
    const barW = width - 60;
    const maxChars = Math.floor(width / 8);
    const svg = el("svg", {
      class: "chart",
      viewBox: `0 0 ${width} ${rows.length * rowH + 4}`,
      role: "img",
      "aria-label": caption,
    });
    rows.forEach((r, i) => {
      const y = i * rowH;
      const w = Math.max(2, Math.round((r.count / max) * barW));
      const label = r.label.length > maxChars ? `${r.label.slice(0, maxChars - 1)}…` : r.label;
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

  function bboxOf(coords, box = [Infinity, Infinity, -Infinity, -Infinity]) {
    if (typeof coords[0] === "number") {
      box[0] = Math.min(box[0], coords[0]);
      box[1] = Math.min(box[1], coords[1]);
      box[2] = Math.max(box[2], coords[0]);
      box[3] = Math.max(box[3], coords[1]);
    } else coords.forEach((c) => bboxOf(c, box));
    return box;
  }

  const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];

  // Equirectangular projection scaled by cos(latitude): good enough at a province's size.
  // The frame holds the communes whose centres are not outliers, so that a far-off island
  // does not shrink the mainland to a corner (it is left outside the frame).
  function projector(features) {
    const boxes = features.map((f) => bboxOf(f.geometry.coordinates));
    const xs = boxes.map((b) => (b[0] + b[2]) / 2).sort((a, b) => a - b);
    const ys = boxes.map((b) => (b[1] + b[3]) / 2).sort((a, b) => a - b);
    const [x0, x1, y0, y1] = [quantile(xs, 0.02), quantile(xs, 0.98), quantile(ys, 0.02), quantile(ys, 0.98)];
    const spanX = (x1 - x0) * 0.5 + 0.02;
    const spanY = (y1 - y0) * 0.5 + 0.02;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const b of boxes) {
      const cx = (b[0] + b[2]) / 2;
      const cy = (b[1] + b[3]) / 2;
      if (cx < x0 - spanX || cx > x1 + spanX || cy < y0 - spanY || cy > y1 + spanY) continue;
      minX = Math.min(minX, b[0]);
      minY = Math.min(minY, b[1]);
      maxX = Math.max(maxX, b[2]);
      maxY = Math.max(maxY, b[3]);
    }
    const k = Math.cos((((minY + maxY) / 2) * Math.PI) / 180);
    const width = 800;
    const scale = width / ((maxX - minX) * k || 1);
    const height = Math.max(200, Math.round((maxY - minY) * scale));
    return {
      width,
      height,
      project: (lon, lat) => [((lon - minX) * k * scale).toFixed(1), ((maxY - lat) * scale).toFixed(1)],
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
