/* global document, window, fetch, setTimeout */
// nps-dialer console: live figures of a list page, without reloading it. The page names where its
// figures are (data-live-url) and how often to ask (data-live-interval-ms); the server sends them
// already formatted, so this script only copies text into the elements that name a field.
(function () {
  'use strict';
  var root = document.querySelector('[data-live-url]');
  if (!root || !window.fetch) return;
  var url = root.getAttribute('data-live-url');
  var every = Number(root.getAttribute('data-live-interval-ms')) || 5000;
  var status = document.querySelector('[data-live-status]');
  var say = function (text) {
    if (status && status.textContent !== text) status.textContent = text;
  };

  function apply(figures) {
    var fields = document.querySelectorAll('[data-live]');
    for (var i = 0; i < fields.length; i++) {
      var value = figures.text[fields[i].getAttribute('data-live')];
      if (typeof value === 'string' && fields[i].textContent !== value) fields[i].textContent = value;
    }
    for (var s = 0; s < figures.scores.length; s++) {
      var count = String(figures.scores[s]);
      var cell = document.querySelector('[data-live-score="' + s + '"]');
      if (cell && cell.textContent !== figures.scoreText[s]) cell.textContent = figures.scoreText[s];
      var meter = document.querySelector('[data-live-meter="' + s + '"]');
      if (meter) {
        meter.setAttribute('max', String(figures.maxScoreCount));
        meter.setAttribute('value', count);
        meter.textContent = figures.scoreText[s];
      }
    }
    return figures.final;
  }

  function tick() {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (response) {
        if (response.status === 401) {
          say('Your session ended: sign in again to see new figures.');
          return true;
        }
        if (!response.ok) throw new Error(String(response.status));
        return response.json().then(function (figures) {
          say('');
          return apply(figures);
        });
      })
      .catch(function () {
        say('Cannot reach the server; trying again.');
        return false;
      })
      .then(function (done) {
        // A final list changes no more: stop asking.
        if (!done) setTimeout(tick, every);
      });
  }
  setTimeout(tick, every);
})();
