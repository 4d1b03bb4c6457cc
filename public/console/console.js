// The console's one script, served at /console/console.js: keys for the call screen. Every
// page works without it (buttons and forms); it only saves the operator the mouse. 1–9 press
// the answer buttons of the question asked, N the next-call button; keys typed into a field are
// left alone, and modifier combinations stay the browser's (Alt+digit switches tabs on Linux).
/* global HTMLElement, HTMLButtonElement -- the browser's, for eslint, which lints this file with the sources */
document.addEventListener('keydown', function (e) {
  if (e.altKey || e.ctrlKey || e.metaKey || e.repeat) return;
  var t = e.target;
  if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  var key = String(e.key).toLowerCase();
  if (!/^[1-9n]$/.test(key)) return;
  var b = document.querySelector('button[data-key="' + key + '"]');
  if (b instanceof HTMLButtonElement) { e.preventDefault(); b.click(); }
});
