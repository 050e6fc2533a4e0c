/**
 * The report's stylesheet: system fonts only (the page loads nothing), colours that keep their meaning
 * in print, and no section split across a printed page where it can be helped.
 */
export const reportStyles = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--ok:#15803d;--bad:#b91c1c;--warn:#b45309;--off:#4b5563;--plan:#2563eb;color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 20px}
header{padding-top:18px;padding-bottom:8px;border-bottom:4px solid var(--tone,var(--off))}
h1{font-size:22px;margin:0 0 10px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
h2{font-size:17px;margin:26px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;background:var(--tone,var(--off));-webkit-print-color-adjust:exact;print-color-adjust:exact}
.badge.outline{background:none;color:var(--tone,var(--off));border:1px solid currentColor}
.tone-ok{--tone:var(--ok)}.tone-bad{--tone:var(--bad)}.tone-warn{--tone:var(--warn)}.tone-off{--tone:var(--off)}.tone-plan{--tone:var(--plan)}
.facts{display:flex;flex-wrap:wrap;gap:4px 26px;margin:0}
.facts div{min-width:0}.facts dt{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
.reason{margin:10px 0 4px;padding:6px 10px;border-left:3px solid var(--tone,var(--off));background:#f9fafb;overflow-wrap:anywhere}
.muted{color:var(--muted)}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:12.5px}
table{border-collapse:collapse;width:100%;margin:6px 0 10px}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
th{font-size:12px;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.sev{font-weight:600;font-size:12px}
.findings td:nth-child(-n+2){white-space:nowrap}
.sev-CRITICAL{color:#7f1d1d}.sev-HIGH{color:var(--bad)}.sev-MEDIUM{color:var(--warn)}.sev-LOW{color:#1d4ed8}.sev-UNKNOWN{color:var(--muted)}
.timeline{list-style:none;margin:0;padding:0}
.stage{display:grid;grid-template-columns:minmax(8rem,13rem) 1fr 5.5rem;column-gap:10px;align-items:center;padding:3px 0;border-bottom:1px solid var(--line);break-inside:avoid}
.stage-name{font-weight:600;overflow-wrap:anywhere}
.stage-time{text-align:right;font-variant-numeric:tabular-nums}
.stage-detail{grid-column:2/4;font-size:12.5px;color:var(--muted);overflow-wrap:anywhere}
.track{position:relative;height:16px;background:repeating-linear-gradient(90deg,#f3f4f6 0 1px,transparent 1px 25%)}
.bar{position:absolute;top:2px;bottom:2px;min-width:3px;border-radius:3px;background:var(--tone,var(--off));-webkit-print-color-adjust:exact;print-color-adjust:exact}
.bar-none{font-size:12px;color:var(--tone,var(--off));border:1px dashed currentColor;border-radius:3px;padding:0 6px}
.axis{display:grid;grid-template-columns:minmax(8rem,13rem) 1fr 5.5rem;column-gap:10px;font-size:11px;color:var(--muted)}
.axis-ticks{position:relative;height:14px}.axis-ticks span{position:absolute;transform:translateX(-50%);white-space:nowrap}
.axis-ticks span:first-child{transform:none}.axis-ticks span:last-child{transform:translateX(-100%)}
.counts{width:auto}.counts td{text-align:center;min-width:4.5rem}
.scan,.metric,figure{break-inside:avoid}
figure{margin:12px 0}
figcaption{margin-bottom:4px}
.chart{min-height:40px;width:100%}
.legend{font-size:12px;color:var(--muted)}
details{margin:4px 0 10px}summary{cursor:pointer;color:var(--muted)}
footer{margin-top:30px;padding-top:8px;padding-bottom:20px;border-top:1px solid var(--line);font-size:12px;color:var(--muted)}
@media print{body{font-size:12px}header,main,footer{max-width:none;padding:0}h2{break-after:avoid}details:not([open]){display:none}}
`;
