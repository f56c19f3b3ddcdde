// Compose: a live counter and a live preview of what each ticked account and channel will receive.
// The page works without this file (the Preview button asks the server); with it, the
// same preview (POST /api/posts with "preview": true, the engine's own fitting) follows
// typing. Everything is built with textContent: nothing typed or returned becomes markup.
(function () {
  "use strict";
  var form = document.querySelector("form.compose");
  if (!form) return;
  var text = form.querySelector("#text");
  var counter = document.getElementById("counter");
  var previews = document.getElementById("previews");
  var csrf = form.querySelector("input[name=csrf]");
  var timer = null;
  var asked = 0;

  function graphemes(s) {
    if (window.Intl && Intl.Segmenter) {
      var n = 0;
      var it = new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(s)[Symbol.iterator]();
      while (!it.next().done) n++;
      return n;
    }
    return Array.from(s).length;
  }

  function value(name) {
    var el = form.querySelector("[name=" + name + "]");
    return el ? el.value : "";
  }

  function ticked(name) {
    return Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"), function (b) {
      return b.value;
    });
  }

  function el(tag, cls, textContent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (textContent !== undefined) e.textContent = textContent;
    return e;
  }

  function show(list) {
    previews.replaceChildren();
    list.forEach(function (p) {
      var card = el("article", "card preview");
      card.appendChild(el("h2", null, p.target));
      if (p.error) {
        card.appendChild(el("p", "error-text", p.error));
      } else {
        var f = p.fitting;
        var summary = f.parts.length + (f.parts.length === 1 ? " post" : " posts");
        if (f.counted) summary += " · limit " + f.counted;
        card.appendChild(el("p", "sub", summary));
        if (f.content_warning) card.appendChild(el("p", null, "CW: " + f.content_warning));
        var ol = el("ol", "parts");
        f.parts.forEach(function (part) {
          var li = el("li");
          li.appendChild(el("pre", null, part));
          ol.appendChild(li);
        });
        card.appendChild(ol);
        (f.notes || []).forEach(function (n) { card.appendChild(el("p", "warn-text", n)); });
      }
      previews.appendChild(card);
    });
  }

  function preview() {
    var to = ticked("to");
    var channels = ticked("channel");
    if (!text.value.trim() || to.length + channels.length === 0) { previews.replaceChildren(); return; }
    var body = {
      text: text.value, to: to, channels: channels, preview: true,
      visibility: value("visibility") || "public",
      number: !!form.querySelector("input[name=number]:checked")
    };
    if (value("cw")) body.content_warning = value("cw");
    if (value("long")) body.long = value("long");
    if (value("link")) body.link = value("link");
    var mine = ++asked;
    fetch("/api/posts", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.value : "" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); }).then(function (j) {
      if (mine !== asked) return;  // an older answer than what is shown
      if (j.previews) show(j.previews);
      else if (j.error) { previews.replaceChildren(el("p", "error-text", j.error)); }
    }).catch(function () { /* the Preview button still works */ });
  }

  function changed() {
    counter.textContent = graphemes(text.value) + " characters";
    clearTimeout(timer);
    timer = setTimeout(preview, 400);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // On load, the counter; and the preview only when the page shows none. After the Preview
  // button the page holds the server's, which counted the chosen files (left out, or not);
  // the live one, asked as JSON, knows nothing of files and would hide what it said.
  counter.textContent = graphemes(text.value) + " characters";
  if (!previews.children.length) preview();
})();
