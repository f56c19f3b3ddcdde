// Timeline: new items appear on top without a reload. The server names the newest stored
// item over server-sent events (/api/timeline/events); when it passes what the page has,
// this asks /timeline/new for the items since, with the page's filters, as the server's own
// sanitized HTML, and puts them on top. Without this file the page is the same, minus that.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var list = document.getElementById("items");
  if (!live || !list || !window.EventSource || !window.fetch || !("content" in document.createElement("template"))) return;
  var after = Number(live.getAttribute("data-after")) || 0;
  var base = live.getAttribute("data-fetch");
  var busy = false;
  var again = false;
  var total = 0;

  function say(text, href) {
    live.textContent = text + " ";
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = "Reload to see them all";
      live.appendChild(a);
    }
  }

  function load() {
    if (busy) { again = true; return; }
    busy = true;
    var url = base + (base.indexOf("?") < 0 ? "?" : "&") + "after=" + after;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        var newest = Number(r.headers.get("X-Braid-Newest")) || after;
        var more = r.headers.get("X-Braid-More") === "1";
        return r.text().then(function (html) { return { newest: newest, more: more, html: html }; });
      })
      .then(function (res) {
        after = Math.max(after, res.newest);
        var tpl = document.createElement("template");
        tpl.innerHTML = res.html;
        var fresh = document.createDocumentFragment();
        var added = 0;
        Array.prototype.forEach.call(tpl.content.querySelectorAll("article.item"), function (item) {
          if (document.getElementById(item.id)) return;
          item.classList.add("new");
          fresh.appendChild(item);
          added++;
        });
        if (added) {
          list.insertBefore(fresh, list.firstChild);
          var empty = document.getElementById("empty");
          if (empty) empty.remove();
          total += added;
          say(total === 1 ? "1 new item above." : total + " new items above.", res.more ? location.pathname + location.search : null);
        }
      })
      .catch(function (e) { say("Could not load new items (" + e.message + ")."); })
      .then(function () {
        busy = false;
        if (again) { again = false; load(); }
      });
  }

  var events = new EventSource(live.getAttribute("data-events"));
  events.addEventListener("items", function (e) {
    if (Number(e.data) > after) load();
  });
})();
