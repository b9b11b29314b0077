// manyi questionnaire: kiosk and web. Plain JS, no build step.
// Every submission gets a client-made UUID and waits in localStorage until the
// server acknowledges it (201, or 200 for a retry it already stored), so a
// dropped Wi-Fi or a restarting server loses nothing and doubles nothing.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('q-config').textContent);
  var QUEUE = 'manyi.queue';
  var REJECTED = 'manyi.rejected';
  var form = document.getElementById('questionnaire');
  var welcome = document.getElementById('welcome');
  var thanks = document.getElementById('thanks');
  var pending = document.getElementById('pending');
  var errorBox = document.getElementById('form-error');
  var stillThere = document.getElementById('still-there');
  var lastActivity = Date.now();
  var flushing = false;

  // --- language -----------------------------------------------------------
  function setLang(lang) {
    document.documentElement.setAttribute('data-lang', lang);
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-Hant-TW';
  }
  document.getElementById('lang-toggle').addEventListener('click', function () {
    setLang(document.documentElement.getAttribute('data-lang') === 'en' ? 'zh-TW' : 'en');
  });

  // --- queue ----------------------------------------------------------------
  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || '[]'); } catch (e) { return []; }
  }
  function save(key, list) { localStorage.setItem(key, JSON.stringify(list)); }
  function showPending() {
    var n = load(QUEUE).length;
    pending.hidden = n === 0;
    pending.textContent = n === 0 ? '' : '待傳送 ' + n + ' · pending ' + n;
  }

  function uuid() {
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function removeFromQueue(key) {
    save(QUEUE, load(QUEUE).filter(function (q) { return q.idempotency_key !== key; }));
  }

  function flush() {
    if (flushing) return;
    var queue = load(QUEUE);
    if (queue.length === 0) { showPending(); return; }
    flushing = true;
    var item = queue[0];
    fetch('/api/v1/responses', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(item)
    }).then(function (res) {
      if (res.status === 200 || res.status === 201) {
        removeFromQueue(item.idempotency_key);
        flushing = false;
        flush();
        return;
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        // The server will never take this one: keep it aside for staff, do not retry forever.
        return res.text().then(function (body) {
          var rejected = load(REJECTED);
          rejected.push({ payload: item, status: res.status, body: body });
          save(REJECTED, rejected);
          removeFromQueue(item.idempotency_key);
          flushing = false;
          flush();
        });
      }
      flushing = false;
      showPending();
    }).catch(function () {
      flushing = false;
      showPending();
    });
  }
  setInterval(flush, 3000);
  window.addEventListener('online', flush);

  // --- answers ----------------------------------------------------------------
  function collect() {
    var answers = {};
    Array.prototype.forEach.call(form.querySelectorAll('[data-item]'), function (el) {
      var key = el.getAttribute('data-item');
      var kind = el.getAttribute('data-kind');
      if (el.tagName === 'DIV') {
        var text = el.querySelector('textarea').value.trim();
        if (text) answers[key] = text;
        return;
      }
      var checked = Array.prototype.map.call(el.querySelectorAll('input:checked'), function (i) { return i.value; });
      if (checked.length === 0) return;
      if (kind === 'multiple') { answers[key] = checked; return; }
      var v = checked[0];
      var numeric = kind === 'likert5' || kind === 'nps' || kind === 'points';
      answers[key] = numeric && v !== 'na' ? parseInt(v, 10) : v;
    });
    return answers;
  }

  function started() {
    return form.querySelector('input:checked') !== null ||
      Array.prototype.some.call(form.querySelectorAll('textarea'), function (t) { return t.value !== ''; });
  }

  // --- missing answers: named at the question and in the list above the button ---
  var checked = false; // once the citizen has tried to send, the marks follow the answers
  function markMissing() {
    var answers = collect();
    var missing = config.required.filter(function (k) { return !(k in answers); });
    Array.prototype.forEach.call(form.querySelectorAll('[data-item]'), function (el) {
      var key = el.getAttribute('data-item');
      var miss = missing.indexOf(key) >= 0;
      el.classList.toggle('missing', miss);
      var msg = document.getElementById('miss-' + key);
      if (msg) msg.hidden = !miss;
      var group = el.querySelector('[role="radiogroup"], textarea');
      if (group) {
        if (miss) { group.setAttribute('aria-invalid', 'true'); group.setAttribute('aria-describedby', 'miss-' + key); }
        else { group.removeAttribute('aria-invalid'); group.removeAttribute('aria-describedby'); }
      }
    });
    var list = document.getElementById('missing-list');
    list.textContent = '';
    missing.forEach(function (key) {
      var item = document.getElementById('item-' + key);
      var q = item && item.querySelector('.q');
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = '#item-' + key;
      Array.prototype.forEach.call(q ? q.querySelectorAll(':scope > .zh, :scope > .en') : [], function (span) {
        a.appendChild(span.cloneNode(true));
      });
      a.addEventListener('click', function (ev) {
        ev.preventDefault();
        focusItem(key);
      });
      li.appendChild(a);
      list.appendChild(li);
    });
    Array.prototype.forEach.call(errorBox.querySelectorAll('.n'), function (n) { n.textContent = String(missing.length); });
    errorBox.hidden = missing.length === 0;
    return missing;
  }
  function focusItem(key) {
    var item = document.getElementById('item-' + key);
    item.scrollIntoView({ block: 'center' });
    var input = item.querySelector('input, textarea');
    if (input) input.focus();
  }
  form.addEventListener('change', function () { if (checked) markMissing(); });
  form.addEventListener('input', function () { if (checked) markMissing(); });

  function reset() {
    form.reset();
    checked = false;
    errorBox.hidden = true;
    Array.prototype.forEach.call(form.querySelectorAll('.missing'), function (el) { el.classList.remove('missing'); });
    Array.prototype.forEach.call(form.querySelectorAll('.missing-msg'), function (el) { el.hidden = true; });
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (el) { el.removeAttribute('aria-invalid'); el.removeAttribute('aria-describedby'); });
    if (stillThere) stillThere.hidden = true;
    thanks.hidden = true;
    if (config.kiosk) {
      setLang('zh-TW');
      form.hidden = true;
      welcome.hidden = false;
      document.getElementById('start').focus();
    } else {
      form.hidden = false;
    }
    window.scrollTo(0, 0);
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    checked = true;
    var missing = markMissing();
    if (missing.length > 0) {
      focusItem(missing[0]);
      return;
    }
    var answers = collect();
    var payload = {
      form: config.form,
      version: config.version,
      idempotency_key: uuid(),
      channel: config.channel,
      answered_at: new Date().toISOString(),
      answers: answers
    };
    if (config.office) payload.office = config.office;
    if (config.survey_token) payload.survey_token = config.survey_token;
    var hp = document.getElementById('website').value;
    if (hp) payload.website = hp;
    var queue = load(QUEUE);
    queue.push(payload);
    save(QUEUE, queue);
    showPending();
    form.hidden = true;
    thanks.hidden = false;
    thanks.querySelector('h1').setAttribute('tabindex', '-1');
    thanks.querySelector('h1').focus();
    flush();
    if (config.kiosk) setTimeout(reset, 5000);
  });

  if (config.kiosk) {
    document.getElementById('start').addEventListener('click', function () {
      welcome.hidden = true;
      form.hidden = false;
      lastActivity = Date.now();
      var first = form.querySelector('input, textarea');
      if (first) first.focus();
    });
    ['click', 'keydown', 'touchstart', 'input', 'change', 'scroll'].forEach(function (t) {
      document.addEventListener(t, function () { lastActivity = Date.now(); }, { passive: true, capture: true });
    });
    // The next citizen must never see the last one's answers; the one still
    // answering is asked first ("Still there?") and may go on.
    var warn = Math.max(3, Math.min(15, Math.floor(config.idle_seconds / 2)));
    document.getElementById('still-continue').addEventListener('click', function () {
      lastActivity = Date.now();
      stillThere.hidden = true;
    });
    setInterval(function () {
      var idle = (Date.now() - lastActivity) / 1000;
      if (form.hidden) { stillThere.hidden = true; return; }
      if (idle >= config.idle_seconds) { reset(); return; }
      var left = Math.ceil(config.idle_seconds - idle);
      if (left <= warn) {
        Array.prototype.forEach.call(stillThere.querySelectorAll('.count'), function (c) { c.textContent = String(left); });
        if (stillThere.hidden) {
          stillThere.hidden = false;
          document.getElementById('still-continue').focus();
        }
      } else if (!stillThere.hidden) {
        stillThere.hidden = true;
      }
    }, 250);
  }

  showPending();
  flush();
})();
