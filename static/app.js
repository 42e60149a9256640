// wsusfleet dashboard: progressive enhancement only. Every page works
// without this file; with it, times show in local time, commands copy with
// one click, live regions refresh in place (keeping the scroll position) and
// the client filter applies as you type.
(function () {
  "use strict";

  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false
  });

  // <time datetime="RFC 3339" data-local>UTC text</time> -> local time; the
  // title keeps the UTC text.
  function localize(root) {
    root.querySelectorAll("time[data-local]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      if (!t.title) t.title = t.textContent.trim();
      t.textContent = fmt.format(d);
    });
  }

  // <button data-copy="id" hidden> copies the text of #id.
  function copyButtons(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (b) {
      b.hidden = false;
      if (b.dataset.bound) return;
      b.dataset.bound = "1";
      b.addEventListener("click", function () {
        var src = document.getElementById(b.dataset.copy);
        if (!src || !navigator.clipboard) return;
        navigator.clipboard.writeText(src.textContent).then(function () {
          var old = b.textContent;
          b.textContent = "Copied";
          setTimeout(function () { b.textContent = old; }, 1500);
        }, function () { b.textContent = "Select and copy"; });
      });
    });
  }

  function enhance(root) {
    localize(root);
    copyButtons(root);
  }

  // swap replaces each [data-live] region of the page with the one of the
  // same id in html; nothing else moves, so the scroll position stays.
  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var ids = function (d) {
      return Array.prototype.map.call(d.querySelectorAll("[data-live][id]"), function (e) { return e.id; }).join(" ");
    };
    if (ids(doc) !== ids(document)) {
      // The page changed shape (e.g. the first report arrived): take it whole.
      var main = document.querySelector("main"), freshMain = doc.querySelector("main");
      if (main && freshMain) {
        main.replaceChildren.apply(main, Array.prototype.map.call(freshMain.childNodes, function (n) { return document.importNode(n, true); }));
        enhance(main);
      }
      return;
    }
    doc.querySelectorAll("[data-live][id]").forEach(function (fresh) {
      var cur = document.getElementById(fresh.id);
      if (!cur) return;
      cur.replaceChildren.apply(cur, Array.prototype.slice.call(fresh.childNodes).map(function (n) {
        return document.importNode(n, true);
      }));
      enhance(cur);
    });
  }

  // The ETag of what the live regions show now (every load is swapped in):
  // the refresh sends it, and the server says 304 when nothing changed.
  var shown = null;

  function load(url, conditional) {
    var headers = { "X-Requested-With": "wsusfleet" };
    if (conditional && shown) headers["If-None-Match"] = shown;
    return fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        if (res.status === 304 && conditional) return null;
        if (!res.ok || res.redirected) throw new Error("status " + res.status);
        shown = res.headers.get("ETag");
        return res.text();
      });
  }

  function status(text) {
    var el = document.querySelector("[data-live-status]");
    if (el) el.textContent = text;
  }

  // Not while the page is hidden or someone is typing in a form.
  function busy() {
    var a = document.activeElement;
    return document.hidden || (a && a.matches && a.matches("input, select, textarea"));
  }

  function refreshNow() {
    return load(location.href, true).then(function (html) {
      if (html !== null) swap(html);
      status("Live: updated " + fmt.format(new Date()));
    }, function () { status("Live: refresh failed; retrying"); });
  }

  function autoRefresh() {
    var every = parseInt(document.body.dataset.refresh || "0", 10);
    if (!every) return;
    status("Live: refreshes every " + every + " s");
    setInterval(function () { if (!busy()) refreshNow(); }, every * 1000);
    // Tests (and anything else) can ask for a refresh now.
    window.addEventListener("wsusfleet:refresh", refreshNow);
  }

  // <form data-live-filter> applies as you type: the results region is
  // fetched and swapped, the URL updated, the focus kept.
  function liveFilters() {
    document.querySelectorAll("form[data-live-filter]").forEach(function (form) {
      var timer = 0;
      function apply() {
        var url = new URL(form.action);
        url.search = new URLSearchParams(new FormData(form)).toString();
        url.hash = "";
        load(url.href).then(function (html) {
          swap(html);
          history.replaceState(null, "", url.href + (form.dataset.anchor || ""));
        }, function () { form.submit(); });
      }
      form.addEventListener("input", function (e) {
        if (e.target.type !== "search" && e.target.type !== "text") return;
        clearTimeout(timer);
        timer = setTimeout(apply, 300);
      });
      form.addEventListener("change", function (e) {
        if (e.target.tagName === "SELECT") apply();
      });
    });
  }

  enhance(document);
  autoRefresh();
  liveFilters();
})();
