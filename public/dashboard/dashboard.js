// The dashboard's one script (/assets/dashboard.js, no inline script under the CSP): draws each
// table marked data-chart with Chart.js (served from node_modules at /assets/chart.umd.min.js),
// telling series apart by dash pattern and point shape as well as colour; and refreshes the
// counts of a campaign page every 15 s from its counts.json; reads a chosen YAML file into the
// new campaign's text area.
(function () {
  'use strict';
  var COLOURS = ['#1d4d2b', '#b35c00', '#0b4f8a', '#7a1f5c', '#4d4d4d'];
  var DASHES = [[], [8, 4], [2, 3], [12, 3, 2, 3], [4, 8]];
  var POINTS = ['circle', 'rectRot', 'triangle', 'rect', 'crossRot'];
  function num(td) { return Number(td.getAttribute('data-value')); }

  function draw(table) {
    var canvas = table.parentNode.querySelector('canvas');
    if (!canvas || typeof window.Chart === 'undefined') return;
    var kind = table.getAttribute('data-chart');
    var heads = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) { return th.textContent; });
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var labels = rows.map(function (r) { return kind === 'heat' ? r.cells[0].textContent + ' ' + r.cells[1].textContent : r.cells[0].textContent; });
    var datasets = [];
    var first = kind === 'heat' ? 4 : 1;
    var last = kind === 'heat' ? 4 : heads.length - 1;
    for (var c = first; c <= last; c++) {
      var i = datasets.length;
      datasets.push({
        label: heads[c],
        data: rows.map(function (r) { return num(r.cells[c]); }),
        borderColor: COLOURS[i % COLOURS.length],
        backgroundColor: COLOURS[i % COLOURS.length] + (kind === 'line' ? '33' : 'cc'),
        borderDash: DASHES[i % DASHES.length],
        pointStyle: POINTS[i % POINTS.length],
        pointRadius: 4,
        borderWidth: 2
      });
    }
    new window.Chart(canvas, {
      type: kind === 'line' ? 'line' : 'bar',
      data: { labels: labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { labels: { usePointStyle: true } } } }
    });
  }

  function poll(el) {
    var url = el.getAttribute('data-live-poll');
    window.setInterval(function () {
      fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (r) { return r.ok ? r.json() : null; }).then(function (j) {
        if (!j) return;
        var funnel = document.querySelector('#funnel table');
        if (funnel) {
          var keys = ['selected', 'released', 'delivered', 'confirmed', 'declined', null, 'unreachable', 'fallbacks'];
          Array.prototype.forEach.call(funnel.tBodies[0].rows, function (row, i) {
            var k = keys[i];
            if (k && typeof j[k] === 'number') { row.cells[1].setAttribute('data-value', String(j[k])); row.cells[1].textContent = j[k].toLocaleString(document.documentElement.lang); }
          });
        }
        el.setAttribute('data-refreshed', j.time);
      }).catch(function () {});
    }, 15000);
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('table[data-chart]'), draw);
    var live = document.querySelector('[data-live-poll]');
    if (live) poll(live);
    // A new campaign: the chosen YAML file is read into the text area (nothing is uploaded until Check).
    var file = document.getElementById('yaml-file');
    var text = document.getElementById('yaml');
    if (file && text) file.addEventListener('change', function () {
      var f = file.files && file.files[0];
      if (!f) return;
      var reader = new window.FileReader();
      reader.onload = function () { text.value = String(reader.result); };
      reader.readAsText(f);
    });
  });
})();
