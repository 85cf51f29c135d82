// The report's trace explorer: an overview of every configuration (click a cell) and its
// repeats' traces, zoomable down to single samples. Plotting is Plotly's; this only unpacks the
// embedded data (gzip-compressed JSON; per run, differences of integer samples as base64 of
// little-endian int32, see scripts/analysis/digest.py) and wires the two charts.
// When it has drawn a configuration it sets data-state="ready" and data-shown on #explorer.
(async function () {
  "use strict";
  const root = document.getElementById("explorer");
  if (!root) return;
  const status = root.querySelector(".explore-status");
  const meta = JSON.parse(document.getElementById("explore-meta").textContent);
  let digest;
  try {
    const text = document.getElementById("explore-data").textContent.trim();
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    digest = JSON.parse(await new Response(stream).text());
  } catch (err) {
    root.dataset.state = "error";
    status.textContent = "This browser cannot unpack the traces (" + err + "); the figures above show them.";
    return;
  }

  function steps(text) {
    const raw = atob(text), bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return new DataView(bytes.buffer);
  }

  function series(run) {
    // cumulative sums of the stored differences: time in s, RSS in MB
    const dt = steps(run.t), dr = steps(run.rss), x = new Float64Array(run.n), y = new Float64Array(run.n);
    let t = 0, r = 0;
    for (let i = 0; i < run.n; i++) {
      t += dt.getInt32(4 * i, true); r += dr.getInt32(4 * i, true);
      x[i] = t * digest.tick_s; y[i] = r / 1024;
    }
    return { x: x, y: y };
  }

  const select = root.querySelector("select");
  meta.configs.forEach(function (config, i) {
    const option = document.createElement("option");
    option.value = String(i);
    option.textContent = config.label + (config.level === "ok" ? "" : "  [" + config.level + "]");
    select.appendChild(option);
  });

  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf"];
  const plotConfig = { displaylogo: false, responsive: true };

  // the program's phases (solver.phase_pattern) as named bands: those of the first repeat that
  // has them, as the traces figure draws them; the time before the first line is not a phase
  const shades = ["#dbe9f6", "#f3e6d3"];
  function phaseBands(config) {
    const run = config.runs.find((r) => digest.runs[r.run_dir] && (digest.runs[r.run_dir].phases || []).length);
    if (!run) return { shapes: [], annotations: [] };
    const bands = digest.runs[run.run_dir].phases.filter((p) => p[2] !== meta.start_phase);
    return {
      shapes: bands.map((p, k) => ({ type: "rect", xref: "x", yref: "paper", x0: p[0], x1: p[1], y0: 0, y1: 1,
        fillcolor: shades[k % 2], line: { width: 0 }, layer: "below" })),
      annotations: bands.map((p) => ({ xref: "x", yref: "paper", x: p[0], y: 0.02, text: p[2],
        textangle: -90, showarrow: false, xanchor: "left", yanchor: "bottom",
        font: { size: 10, color: "#57606a" } })).concat(config.runs.length > 1 ? [{ xref: "paper",
        yref: "paper", x: 1, y: 1.02, text: "phases of rep " + run.repeat, showarrow: false,
        xanchor: "right", yanchor: "bottom", font: { size: 10, color: "#57606a" } }] : []),
    };
  }

  function show(index) {
    const config = meta.configs[index];
    const traces = [];
    config.runs.forEach(function (run, k) {
      const data = digest.runs[run.run_dir];
      const color = palette[(run.repeat - 1) % palette.length];
      if (data && data.n) {
        const xy = series(data);
        const note = data.whole ? "" : " (peaks of " + data.samples + " samples; open the trace.csv for all)";
        traces.push({ type: "scatter", mode: "lines", x: xy.x, y: xy.y, line: { color: color, width: 1.4 },
          name: "rep " + run.repeat + " · " + run.status + note, legendgroup: "r" + k });
      }
      if (run.spikes.length) {
        traces.push({ type: "scatter", mode: "markers", x: run.spikes.map((s) => s[0]),
          y: run.spikes.map((s) => s[1]), marker: { symbol: "triangle-up", size: 9, color: color,
          line: { color: "black", width: 0.6 } }, name: "spikes, rep " + run.repeat,
          legendgroup: "r" + k, showlegend: false });
      }
      if (run.hwm_mb !== null && run.duration_s !== null) {
        traces.push({ type: "scatter", mode: "markers", x: [run.duration_s], y: [run.hwm_mb],
          marker: { symbol: "triangle-left", size: 11, color: color, line: { color: "black", width: 0.6 } },
          name: "VmHWM, rep " + run.repeat, legendgroup: "r" + k, showlegend: false });
      }
    });
    const bands = phaseBands(config);
    const layout = {
      title: { text: config.label, x: 0, font: { size: 15 } },
      margin: { l: 60, r: 20, t: 50, b: 50 },
      xaxis: { title: { text: "time since launch (s)" }, rangeslider: { visible: true } },
      yaxis: { title: { text: "RSS (MB)" }, rangemode: "tozero" },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: config.limit_mb, y1: config.limit_mb,
        line: { color: "#cf222e", dash: "dash", width: 1.2 } }].concat(bands.shapes),
      annotations: [{ xref: "paper", x: 1, y: config.limit_mb, text: "limit " + config.limit_mb + " MB",
        showarrow: false, xanchor: "right", yanchor: "bottom", font: { color: "#cf222e", size: 11 } }]
        .concat(bands.annotations),
      legend: { orientation: "h", y: -0.35 },
      height: 520,
    };
    Plotly.react("explore-traces", traces, layout, plotConfig);
    select.value = String(index);
    root.dataset.shown = config.label;
    root.dataset.state = "ready";
    status.textContent = config.summary;
  }

  const grid = meta.grid;
  if (grid.z.length) {
    await Plotly.newPlot("explore-overview", [{
      type: "heatmap", z: grid.z, x: grid.x, y: grid.y, customdata: grid.index,
      colorscale: meta.peak_scale.stops, zmin: 0, zmax: meta.peak_scale.max, xgap: 1, ygap: 1,
      colorbar: { title: { text: "% of limit" } },
      hovertemplate: "%{y} · %{x} MB<br>peak %{z:.0f}% of the limit<extra>click to see its traces</extra>",
    }], {
      title: { text: "Peak as % of the limit per configuration: click a cell", x: 0, font: { size: 14 } },
      margin: { l: 140, r: 20, t: 40, b: 50 }, height: Math.max(220, 60 + 24 * grid.y.length),
      xaxis: { title: { text: "memory limit (MB)" }, type: "category" },
      // rows top-down in the grid's order, as in the static overview figure
      yaxis: { autorange: "reversed", type: "category" },
    }, plotConfig);
    document.getElementById("explore-overview").on("plotly_click", function (event) {
      const index = event.points[0].customdata;
      if (index !== null && index !== undefined) show(index);
    });
  }
  select.addEventListener("change", function () { show(Number(select.value)); });
  show(meta.initial);
})();
