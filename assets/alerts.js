// The console's live alerts (server-sent events), on every page of a role
// that sees them: the menu's badge counts the unacknowledged ones; on the
// alerts page new rows appear at the top and any row is acknowledged in place.
(function () {
  'use strict';
  var badge = document.getElementById('alert-badge');
  var table = document.getElementById('alerts');
  var body = table && table.querySelector('tbody');
  var banner = document.getElementById('live-banner');

  function setCount(n) {
    if (!badge) return;
    badge.hidden = n <= 0;
    badge.textContent = n > 0 ? String(n) : '';
    badge.setAttribute('aria-label', n + ' ' + (badge.getAttribute('data-label') || ''));
  }

  function cell(tr, label, text) {
    var td = document.createElement('td');
    td.setAttribute('data-label', label);
    if (text !== undefined) td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function ackForm(id) {
    var form = document.createElement('form');
    form.method = 'post';
    form.action = '/console/alerts/' + id + '/ack';
    form.className = 'ack-form';
    var csrf = document.createElement('input');
    csrf.type = 'hidden'; csrf.name = 'csrf'; csrf.value = table.getAttribute('data-csrf');
    var label = document.createElement('label');
    label.className = 'visually-hidden'; label.htmlFor = 'note-' + id; label.textContent = table.getAttribute('data-note');
    var note = document.createElement('input');
    note.id = 'note-' + id; note.name = 'note'; note.maxLength = 1000; note.placeholder = table.getAttribute('data-note');
    var button = document.createElement('button');
    button.type = 'submit'; button.textContent = table.getAttribute('data-ack');
    form.appendChild(csrf); form.appendChild(label); form.appendChild(note); form.appendChild(button);
    return form;
  }

  function addRow(a) {
    if (!body || document.querySelector('[data-alert="' + a.id + '"]')) return;
    var heads = Array.prototype.map.call(table.querySelectorAll('thead th'), function (th) { return th.textContent; });
    var tr = document.createElement('tr');
    tr.className = 'open new';
    tr.setAttribute('data-alert', a.id);
    cell(tr, heads[0], a.at);
    cell(tr, heads[1], a.office_name);
    cell(tr, heads[2], a.source);
    var items = cell(tr, heads[3]);
    var strong = document.createElement('strong');
    strong.textContent = a.item_names;
    items.appendChild(strong);
    var answers = cell(tr, heads[4], a.answers);
    if (a.comment) {
      var q = document.createElement('blockquote');
      q.className = 'comment';
      q.textContent = a.comment;
      answers.appendChild(q);
    }
    cell(tr, heads[5]).appendChild(ackForm(a.id));
    body.insertBefore(tr, body.firstChild);
    if (banner) banner.hidden = false;
    var none = document.getElementById('no-alerts');
    if (none) none.hidden = true;
  }

  // Acknowledging without leaving the page: the same form, sent in the background.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains('ack-form')) return;
    ev.preventDefault();
    var button = form.querySelector('button');
    button.disabled = true;
    fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(new FormData(form)).toString()
    }).then(function (res) {
      if (!res.ok) { button.disabled = false; form.submit(); return; }
      var tr = form.closest('tr');
      var note = form.querySelector('[name="note"]').value.trim();
      var td = form.parentNode;
      td.textContent = table.getAttribute('data-done') + (note ? '：' + note : '');
      tr.classList.remove('open', 'new');
      tr.setAttribute('data-acknowledged', 'true');
    }).catch(function () { button.disabled = false; });
  });

  if (!window.EventSource) return;
  var source = new EventSource('/console/alerts/stream');
  source.addEventListener('count', function (ev) { setCount(parseInt(ev.data, 10) || 0); });
  source.addEventListener('alert', function (ev) { addRow(JSON.parse(ev.data)); });
})();
