/** APP_CSS styles the console: system fonts, plain tables, no external resources. */
export const APP_CSS = `
:root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #fff; --head: #f5f7fa; --accent: #2f6fde; --warn: #b54708; --ok: #067647; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--head); }
header h1 { font-size: 17px; margin: 0; letter-spacing: .02em; }
nav a { color: var(--muted); text-decoration: none; margin-right: 16px; padding: 4px 0; border-bottom: 2px solid transparent; }
nav a.active { color: var(--fg); border-bottom-color: var(--accent); }
#status { margin-left: auto; color: var(--muted); font-size: 12px; }
#status.error { color: var(--warn); }
main { padding: 16px 20px 40px; max-width: 1200px; }
h2 { font-size: 16px; margin: 8px 0 12px; }
h3 { font-size: 14px; margin: 18px 0 8px; }
table { border-collapse: collapse; width: 100%; margin-bottom: 12px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: 6px 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
summary { cursor: pointer; font-weight: 600; }
.muted { color: var(--muted); }
.lag-ok { color: var(--ok); font-weight: 600; }
.lag-behind { color: var(--warn); font-weight: 600; }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; max-height: 160px; overflow: auto; }
form { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin: 0 0 14px; padding: 10px; background: var(--head); border-radius: 6px; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
input, select, button { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
svg.spark { vertical-align: middle; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin-bottom: 12px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; }
.error-box { color: var(--warn); margin: 8px 0; }
`
