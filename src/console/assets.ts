// The console's one stylesheet, served by the daemon (nothing from a CDN). Colours meet WCAG AA contrast on white;
// focus is always visible; the charts' fills are the same in their legends.
export const CONSOLE_CSS = `
:root { color-scheme: light; --fg: #1f2937; --muted: #4b5563; --line: #d1d5db; --link: #1d4ed8; --bg-alt: #f3f4f6; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5em 1em; }
.skip:focus { left: 1em; z-index: 10; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1.5em; padding: .6em 1.5em; background: #111827; color: #f9fafb; }
header.top a { color: #f9fafb; }
header.top .brand { font-weight: 700; }
header.top nav ul { display: flex; gap: 1.2em; list-style: none; margin: 0; padding: 0; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
header.top .who { margin-left: auto; }
main { padding: 1em 1.5em 3em; max-width: 1280px; }
h1 { font-size: 1.6em; margin: .4em 0; }
h2 { font-size: 1.25em; margin: 1.4em 0 .5em; border-bottom: 1px solid var(--line); padding-bottom: .2em; }
h3 { font-size: 1.05em; margin: .8em 0 .3em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .93em; }
caption { text-align: left; color: var(--muted); padding-bottom: .3em; }
th, td { border-bottom: 1px solid var(--line); padding: .35em .6em; text-align: left; vertical-align: top; }
thead th { background: var(--bg-alt); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fef2f2; }
td.detail { font-family: ui-monospace, monospace; font-size: .85em; max-width: 40em; overflow-wrap: anywhere; }
.zero { color: #6b7280; }
.hint { color: var(--muted); font-size: .9em; }
.badge { display: inline-block; padding: .05em .5em; border-radius: .8em; font-size: .85em; background: #e5e7eb; color: #111827; white-space: nowrap; }
.badge.ok { background: #dcfce7; color: #14532d; }
.badge.bad { background: #fee2e2; color: #7f1d1d; }
.badge.warn { background: #fef3c7; color: #78350f; }
.bad-text { color: #991b1b; font-weight: 700; }
.ok-text { color: #14532d; }
.error { background: #fef2f2; border-left: 4px solid #b91c1c; padding: .5em .8em; }
.warn { background: #fffbeb; border-left: 4px solid #b45309; padding: .5em .8em; }
.notice { background: #eff6ff; border-left: 4px solid var(--link); padding: .5em .8em; }
ul.attention { list-style: none; padding: 0; }
ul.attention > li { margin-bottom: .6em; }
.count { color: var(--muted); font-weight: 400; }
form.stack { display: grid; gap: .4em; max-width: 28em; }
form.inline { display: inline; }
form.filters { display: flex; flex-wrap: wrap; gap: .8em; align-items: end; padding: .8em; background: var(--bg-alt); border-radius: .4em; }
form.filters div { display: grid; gap: .2em; }
label { font-weight: 600; }
input, select, button, .button { font: inherit; padding: .35em .6em; border: 1px solid #6b7280; border-radius: .3em; background: #fff; color: var(--fg); }
button, .button { background: var(--link); color: #fff; border-color: var(--link); cursor: pointer; text-decoration: none; display: inline-block; }
button.danger, .button.danger { background: #b91c1c; border-color: #b91c1c; }
button.link { background: none; border: none; color: inherit; text-decoration: underline; padding: 0; }
.actions { display: flex; gap: .6em; margin: .8em 0; flex-wrap: wrap; }
.buttons { display: flex; gap: 1em; align-items: center; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1.2em; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.pages { display: flex; gap: 2em; margin: 1em 0; }
figure { margin: 1em 0 2em; }
figcaption { font-weight: 600; margin-bottom: .3em; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 0 2em; }
svg.chart { width: 100%; max-width: 760px; height: auto; display: block; }
svg.chart .tick line { stroke: #e5e7eb; }
svg.chart text { font-size: 11px; fill: #374151; }
.legend { color: var(--muted); }
.key { display: inline-block; width: .9em; height: .9em; vertical-align: -.1em; margin-left: .6em; border-radius: .15em; }
.loaded { fill: #2563eb; background: #2563eb; }
.delivered { fill: #15803d; background: #15803d; }
.s-discovered { fill: #64748b; background: #64748b; }
.s-closing { fill: #0e7490; background: #0e7490; }
.s-empty { fill: #a16207; background: #a16207; }
.s-closed { fill: #7c3aed; background: #7c3aed; }
.s-file_ready { fill: #be185d; background: #be185d; }
.s-fetched { fill: #c2410c; background: #c2410c; }
.s-loaded { fill: #2563eb; background: #2563eb; }
.s-done { fill: #15803d; background: #15803d; }
.s-quarantined { fill: #b91c1c; background: #b91c1c; }
code { font-family: ui-monospace, monospace; font-size: .9em; }
`;
