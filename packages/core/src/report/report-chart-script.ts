/**
 * The report's own browser script: reads the {@link CanaryChartData} embedded as JSON in
 * `#slipway-chart-data` and draws it with uPlot (inlined before it). It is a string, not a compiled
 * function, because it runs in the page: `Function.prototype.toString` of TypeScript would carry
 * whatever helpers tsx or esbuild inject (`__name`), which do not exist there. Plain ES2017, no
 * imports; every text it draws goes through canvas `fillText` or uPlot's legend (`textContent`), never
 * `innerHTML`, so report strings stay text here too.
 *
 * When every chart has drawn once it sets `data-charts="drawn"` on `<body>`, which tests wait for.
 *
 * @see CanaryChartData
 */
export const reportChartScript = String.raw`(function () {
  'use strict';
  var source = document.getElementById('slipway-chart-data');
  if (!source || typeof uPlot !== 'function') return;
  var data = JSON.parse(source.textContent);
  var colour = {
    value: '#2563eb', Pass: '#16a34a', Fail: '#dc2626', Error: '#7c3aed', NoData: '#6b7280',
    threshold: '#d97706', decision: '#374151', weight: '#0891b2'
  };
  var charts = [];
  var drawn = 0;
  var printing = false;

  function px(n) { return Math.round(n * uPlot.pxRatio); }
  function round(v) { return Number(v.toPrecision(4)); }
  function clock(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var m = Math.floor(s / 60);
    var r = s % 60;
    return '+' + m + ':' + (r < 10 ? '0' : '') + r;
  }
  function widthOf(el) { return printing ? 680 : Math.max(320, Math.floor(el.clientWidth || 800)); }
  function onDrawn(u) {
    if (u._slipwayDrawn) return;
    u._slipwayDrawn = true;
    drawn += 1;
    if (drawn === charts.length) document.body.setAttribute('data-charts', 'drawn');
  }

  // Each decision (weight step, pause, rollback, promotion) as a dashed vertical line; labelled on the
  // metric charts, numbered on the weight chart, staggered in three rows so neighbours stay readable.
  function drawDecisions(u, withLabels) {
    var ctx = u.ctx;
    var top = u.bbox.top;
    var bottom = top + u.bbox.height;
    var right = u.bbox.left + u.bbox.width;
    ctx.save();
    ctx.font = px(11) + 'px sans-serif';
    // uPlot leaves the context as its last axis drew it (right-aligned y labels).
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    data.decisions.forEach(function (d, i) {
      var x = Math.round(u.valToPos(d.x, 'x', true));
      ctx.strokeStyle = colour.decision;
      ctx.lineWidth = px(1);
      ctx.setLineDash([px(4), px(3)]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      var text = String(i + 1);
      if (withLabels) text += ' ' + (d.label.length > 36 ? d.label.slice(0, 35) + '\u2026' : d.label);
      var w = ctx.measureText(text).width;
      var tx = x + px(3);
      if (tx + w > right) tx = Math.max(u.bbox.left, x - px(3) - w);
      var ty = top + px(2) + (withLabels ? (i % 3) * px(14) : 0);
      ctx.setLineDash([]);
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(tx - px(2), ty - px(1), w + px(4), px(13));
      ctx.fillStyle = colour.decision;
      ctx.fillText(text, tx, ty);
    });
    ctx.restore();
  }

  // Error and NoData samples have no value: marked on the x axis, a cross for Error, a square for NoData.
  function drawValueless(u, metric) {
    var ctx = u.ctx;
    var y = u.bbox.top + u.bbox.height;
    var r = px(5);
    ctx.save();
    ctx.lineWidth = px(2);
    metric.outcome.forEach(function (outcome, i) {
      if (outcome !== 'Error' && outcome !== 'NoData') return;
      var x = u.valToPos(metric.x[i], 'x', true);
      ctx.strokeStyle = colour[outcome];
      ctx.beginPath();
      if (outcome === 'Error') {
        ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r);
        ctx.moveTo(x + r, y - r); ctx.lineTo(x - r, y + r);
      } else {
        ctx.rect(x - r, y - r, 2 * r, 2 * r);
      }
      ctx.stroke();
    });
    ctx.restore();
  }

  var xScale = { time: false, range: function () { return [0, data.span]; } };
  var xAxis = {
    incrs: [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
    values: function (u, splits) { return splits.map(clock); }
  };
  var pointsOnly = function () { return null; };

  data.metrics.forEach(function (metric) {
    var el = document.getElementById(metric.element);
    if (!el) return;
    // Pad to the canary's start and end so the threshold line spans the whole x range.
    var x = metric.x.slice();
    var value = metric.value.slice();
    var outcome = metric.outcome.slice();
    if (x.length === 0 || x[0] > 0) { x.unshift(0); value.unshift(null); outcome.unshift(''); }
    if (x[x.length - 1] < data.span) { x.push(data.span); value.push(null); outcome.push(''); }
    var only = function (want) { return value.map(function (v, i) { return outcome[i] === want ? v : null; }); };
    var none = x.map(function () { return null; });
    var series = [
      { label: 'time' },
      { label: metric.name, stroke: colour.value, width: 2, spanGaps: false, points: { show: false } },
      { label: 'Pass', stroke: colour.Pass, fill: colour.Pass, paths: pointsOnly, points: { show: true, space: 0, size: 8, fill: colour.Pass, stroke: colour.Pass } },
      { label: 'Fail', stroke: colour.Fail, fill: colour.Fail, paths: pointsOnly, points: { show: true, space: 0, size: 9, fill: colour.Fail, stroke: colour.Fail } },
      { label: 'threshold ' + metric.threshold, stroke: colour.threshold, width: 1.5, dash: [6, 4], points: { show: false } }
    ];
    var aligned = [x, value, only('Pass'), only('Fail'), x.map(function () { return metric.limit; })];
    ['Error', 'NoData'].forEach(function (kind) {
      if (metric.outcome.indexOf(kind) < 0) return;
      // Legend entries only: these samples have no value; drawValueless marks them on the x axis.
      series.push({ label: kind + ' (on the x axis)', stroke: colour[kind], paths: pointsOnly, points: { show: false } });
      aligned.push(none);
    });
    var unit = metric.unit;
    var opts = {
      width: widthOf(el),
      height: 260,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: xScale,
        y: {
          range: function (u, min, max) {
            var lo = Math.min(0, min == null ? 0 : min, metric.limit);
            var hi = Math.max(max == null ? 0 : max, metric.limit);
            if (hi === lo) hi = lo + 1;
            return [lo, hi + (hi - lo) * 0.2];
          }
        }
      },
      axes: [xAxis, { size: 64, values: function (u, splits) { return splits.map(function (v) { return round(v) + unit; }); } }],
      series: series,
      hooks: {
        draw: [function (u) { drawValueless(u, metric); drawDecisions(u, true); onDrawn(u); }]
      }
    };
    charts.push({ el: el, height: 260, plot: new uPlot(opts, aligned, el) });
  });

  if (data.weights) {
    var weights = data.weights;
    var weightEl = document.getElementById(weights.element);
    if (weightEl) {
      var weightOpts = {
        width: widthOf(weightEl),
        height: 170,
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: xScale, y: { range: [0, 100] } },
        axes: [xAxis, { size: 64, values: function (u, splits) { return splits.map(function (v) { return round(v) + '%'; }); } }],
        series: [
          { label: 'time' },
          { label: 'canary weight', stroke: colour.weight, width: 2, fill: 'rgba(8,145,178,0.12)', paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }
        ],
        hooks: { draw: [function (u) { drawDecisions(u, false); onDrawn(u); }] }
      };
      charts.push({ el: weightEl, height: 170, plot: new uPlot(weightOpts, [weights.x, weights.weight], weightEl) });
    }
  }

  function fit() {
    charts.forEach(function (chart) { chart.plot.setSize({ width: widthOf(chart.el), height: chart.height }); });
  }
  var pending = 0;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(fit, 100);
  });
  // A printed page is narrower than most screens: redraw to fit it, and back afterwards.
  window.addEventListener('beforeprint', function () { printing = true; fit(); });
  window.addEventListener('afterprint', function () { printing = false; fit(); });
})();
`;
