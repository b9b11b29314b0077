// Live dissatisfaction alerts on the console's alerts page (server-sent events).
(function () {
  var body = document.querySelector('#alerts tbody');
  var banner = document.getElementById('live-banner');
  var source = new EventSource('/console/alerts/stream');
  source.addEventListener('alert', function (ev) {
    var a = JSON.parse(ev.data);
    if (document.querySelector('[data-alert="' + a.id + '"]')) return;
    var tr = document.createElement('tr');
    tr.className = 'open new';
    tr.setAttribute('data-alert', a.id);
    [a.at, a.office_name, a.lowest_score, a.item_names + ' #' + a.response_id, ''].forEach(function (v, i) {
      var td = document.createElement('td');
      td.textContent = v;
      if (i === 2) td.className = 'num';
      tr.appendChild(td);
    });
    body.insertBefore(tr, body.firstChild);
    banner.hidden = false;
    var none = document.getElementById('no-alerts');
    if (none) none.hidden = true;
  });
})();
