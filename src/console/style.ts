/**
 * The console's one style sheet, served at `/console/console.css`. Sized for a 1280×800
 * call-centre desktop (card and script side by side) and a laptop (stacked below 960px);
 * large targets and a visible focus ring, because operators work from the keyboard all day.
 */
export const CONSOLE_CSS = `
*{box-sizing:border-box}
html{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#f3f4f6}
body{margin:0}
a{color:#0b4f8a}
header.bar{display:flex;align-items:center;gap:1rem;padding:.5rem 1.25rem;background:#0b3a63;color:#fff}
header.bar .brand{font-weight:700;font-size:1.1rem;margin-right:auto}
header.bar a{color:#fff}
header.bar .who{color:#cfd8e3}
header.bar form{margin:0}
header.bar button,header.bar button.secondary{background:transparent;border-color:#fff;color:#fff;min-height:2.25rem;padding:.25rem .75rem}
header.bar button:hover{background:#0b4f8a}
main{max-width:1440px;margin:0 auto;padding:.75rem 1rem}
h1{font-size:1.35rem;margin:.25rem 0 .75rem}
h2{font-size:1.1rem;margin:0 0 .5rem}
h3{font-size:1rem;margin:.75rem 0 .25rem}
.call{display:grid;grid-template-columns:minmax(17rem,21rem) minmax(0,1fr) minmax(17rem,21rem);gap:.75rem;align-items:start}
@media (max-width:1180px){.call{grid-template-columns:minmax(16rem,20rem) minmax(0,1fr)}.call>.col:last-child{grid-column:1/-1}}
@media (max-width:760px){.call{grid-template-columns:1fr}}
.col{min-width:0}
.panel{background:#fff;border:1px solid #d0d4da;border-radius:.5rem;padding:.75rem 1rem}
.panel+.panel{margin-top:.75rem}
dl.card{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dl.card dt{color:#555}
dl.card dd{margin:0;font-weight:600}
.phone{font-size:1.4rem;font-weight:700;letter-spacing:.03em;margin:0 0 .5rem;overflow-wrap:anywhere}
.name{font-size:1.5rem;font-weight:700;margin:0 0 .25rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{color:#444;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
ul.history{list-style:none;margin:0;padding:0;max-height:14rem;overflow:auto;font-size:.9rem}
ul.history li{padding:.3rem 0;border-bottom:1px solid #e3e6ea;overflow-wrap:anywhere}
.hint{margin-left:.75rem}
button,.button{font:inherit;min-height:2.75rem;padding:.4rem 1rem;border:2px solid #0b4f8a;border-radius:.375rem;background:#0b4f8a;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button:hover{background:#083a66}
button.secondary{background:#fff;color:#0b4f8a}
button.secondary:hover{background:#e8f0f8}
button.big{font-size:1.25rem;min-height:3.5rem;padding:.5rem 2rem}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
.answers,.dispositions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 0}
.dispositions{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr))}
.dispositions button{min-height:2.5rem;padding:.3rem .5rem}
.question{font-size:1.15rem;font-weight:600;margin:.25rem 0}
.script{white-space:pre-wrap;background:#f7f9fb;border-left:4px solid #0b4f8a;padding:.5rem .75rem;margin:0;max-height:calc(100vh - 22rem);min-height:10rem;overflow:auto;font-size:.95rem}
ol.walk{margin:.25rem 0 .5rem;padding-left:1.25rem;color:#333}
.flag{display:inline-block;background:#fde7e9;color:#8a1020;border:1px solid #d4a0a6;border-radius:.25rem;padding:0 .4rem;font-size:.85rem;font-weight:600}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
input[type=text],input[type=password],input[type=datetime-local],select,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #8a9099;border-radius:.25rem;width:100%;max-width:28rem;background:#fff}
textarea{max-width:none;min-height:4rem}
fieldset{border:1px solid #d0d4da;border-radius:.375rem;margin:.5rem 0;padding:.25rem .75rem .5rem}
legend{font-weight:600;padding:0 .25rem}
.inline{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end}
.inline label{margin:0}
.radio{display:inline-flex;gap:.35rem;align-items:center;font-weight:400;margin-right:1rem}
.alert{border-radius:.375rem;padding:.6rem .9rem;margin:0 0 1rem;border:1px solid}
.alert.error{background:#fde7e9;border-color:#c4313f;color:#6b0d17}
.alert.ok{background:#e6f4ea;border-color:#2e7d32;color:#1b4d1f}
.muted{color:#5f6670}
.signin{max-width:24rem;margin:4rem auto}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.75rem;margin-bottom:.75rem}
.stats>.panel{margin-top:0}
td .inline{flex-wrap:nowrap;align-items:center;gap:.5rem}
td form{margin:0}
td select{width:auto}
td button{min-height:2.25rem;padding:.2rem .75rem}
.kbd{font-family:ui-monospace,monospace;font-size:.8rem;border:1px solid #aaa;border-radius:.2rem;padding:0 .25rem;background:#fafafa;color:#333}
`.trim();
