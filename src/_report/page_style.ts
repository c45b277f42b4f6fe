/**
 * The report's style sheet, inlined in the page: system fonts only, nothing
 * fetched.
 *
 * @module
 */

/** The page's CSS. */
export const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #111; background: #fff; }
main { padding: 12px 20px 40px; max-width: 1800px; }
h1 { font-size: 20px; margin: 4px 0; overflow-wrap: anywhere; }
h2 { font-size: 16px; margin: 22px 0 8px; border-bottom: 1px solid #ccc; }
#source { color: #333; margin: 0; }
#summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
#summary dt { font-weight: 600; }
#summary dd { margin: 0; font-variant-numeric: tabular-nums; }
#legend { list-style: none; padding: 0; margin: 0 0 8px; display: flex; flex-wrap: wrap;
  gap: 4px 22px; }
#legend li { display: flex; align-items: center; gap: 4px; }
.swatch { width: 32px; height: 16px; }
.tools { margin: 6px 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.tools span { color: #333; }
#timeline { width: 100%; overflow: hidden; border: 1px solid #bbb; }
#timeline canvas { display: block; }
#tip { position: absolute; max-width: 320px; padding: 6px 8px; background: #fffff0;
  border: 1px solid #333; white-space: pre-wrap; overflow-wrap: anywhere; pointer-events: none;
  font-size: 12px; box-shadow: 2px 2px 4px #0004; }
#detail { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
#detail dt { font-weight: 600; }
#detail dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace,
  monospace; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; border-bottom: 1px solid #ddd;
  overflow-wrap: anywhere; }
td:last-child { font-family: ui-monospace, monospace; }
button.link { background: none; border: none; padding: 0; color: #0645ad; text-decoration: underline;
  cursor: pointer; font: inherit; text-align: left; }
@media print { .tools, #tip { display: none; } }
`;
