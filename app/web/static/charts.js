/* Small SVG charts for the crisis room: no library, no network. Each returns an <svg>. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";

  function svg(w, h, label) {
    var s = document.createElementNS(NS, "svg");
    s.setAttribute("viewBox", "0 0 " + w + " " + h);
    s.setAttribute("width", w);
    s.setAttribute("height", h);
    s.setAttribute("role", "img");
    s.setAttribute("aria-label", label || "");
    return s;
  }
  function node(name, attrs, text) {
    var n = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function points(values, w, h, max, pad) {
    pad = pad || 2;
    var n = values.length;
    return values.map(function (v, i) {
      var x = n <= 1 ? w / 2 : pad + (i * (w - 2 * pad)) / (n - 1);
      var y = h - pad - (max > 0 ? (v / max) * (h - 2 * pad) : 0);
      return x.toFixed(1) + "," + y.toFixed(1);
    }).join(" ");
  }

  /* A sparkline of counts: the label says what the numbers are, for screen readers. */
  function sparkline(values, label) {
    var w = 110, h = 26, s = svg(w, h, label);
    var max = Math.max.apply(null, values.concat([1]));
    s.appendChild(node("polyline", { points: points(values, w, h, max), fill: "none",
      stroke: "#1f5fa8", "stroke-width": 1.5 }));
    return s;
  }

  /* Lines over shared x labels; series: [{name, values, color, axis: "left"|"right"}]. */
  function lineChart(labels, series, opts) {
    opts = opts || {};
    var w = opts.width || 640, h = opts.height || 220, left = 40, bottom = 22, top = 10;
    var s = svg(w, h, opts.label);
    var plotW = w - left - 40, plotH = h - bottom - top;
    var maxLeft = 1, maxRight = 1;
    series.forEach(function (se) {
      var m = Math.max.apply(null, se.values.concat([0]));
      if (se.axis === "right") maxRight = Math.max(maxRight, m); else maxLeft = Math.max(maxLeft, m);
    });
    s.appendChild(node("line", { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, stroke: "#666" }));
    s.appendChild(node("text", { x: 2, y: top + 10, "font-size": 10, fill: "#333" }, String(Math.round(maxLeft))));
    if (series.some(function (se) { return se.axis === "right"; })) {
      s.appendChild(node("text", { x: left + plotW + 4, y: top + 10, "font-size": 10, fill: "#333" },
        opts.rightMaxLabel || String(maxRight)));
    }
    series.forEach(function (se) {
      var max = se.axis === "right" ? maxRight : maxLeft;
      var g = node("g", { transform: "translate(" + left + "," + top + ")" });
      g.appendChild(node("polyline", { points: points(se.values, plotW, plotH, max, 0), fill: "none",
        stroke: se.color || "#1f5fa8", "stroke-width": 2 }));
      s.appendChild(g);
    });
    var step = Math.max(1, Math.ceil(labels.length / 6));
    labels.forEach(function (lab, i) {
      if (i % step) return;
      var x = left + (labels.length <= 1 ? plotW / 2 : (i * plotW) / (labels.length - 1));
      s.appendChild(node("text", { x: x, y: h - 6, "font-size": 10, "text-anchor": "middle", fill: "#333" }, lab));
    });
    var lx = left;
    series.forEach(function (se) {
      s.appendChild(node("rect", { x: lx, y: 0, width: 10, height: 3, fill: se.color || "#1f5fa8" }));
      s.appendChild(node("text", { x: lx + 14, y: 6, "font-size": 10, fill: "#333" }, se.name));
      lx += 20 + se.name.length * 6;
    });
    return s;
  }

  /* Horizontal bars: rows [{label, value}]. */
  function barChart(rows, opts) {
    opts = opts || {};
    var w = opts.width || 520, bar = 18, h = rows.length * (bar + 6) + 4;
    var s = svg(w, Math.max(h, 20), opts.label);
    var max = Math.max.apply(null, rows.map(function (r) { return r.value; }).concat([1]));
    rows.forEach(function (r, i) {
      var y = 2 + i * (bar + 6), bw = ((w - 220) * r.value) / max;
      s.appendChild(node("text", { x: 0, y: y + 13, "font-size": 12, fill: "#222" }, r.label.slice(0, 28)));
      s.appendChild(node("rect", { x: 170, y: y, width: Math.max(bw, 1), height: bar, fill: opts.color || "#1f5fa8" }));
      s.appendChild(node("text", { x: 175 + bw, y: y + 13, "font-size": 12, fill: "#222" }, r.text || String(r.value)));
    });
    return s;
  }

  window.PantauCharts = { sparkline: sparkline, lineChart: lineChart, barChart: barChart };
})();
