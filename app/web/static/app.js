/* The crisis room's views. Every view reads the JSON API with the session cookie; writes send
   the session's CSRF token. Text from the API is inserted as text, never as HTML. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("i18n").textContent);
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var ROLE = document.querySelector('meta[name="role"]').content;
  var RANK = { viewer: 0, analyst: 1, admin: 2 };
  var view = document.getElementById("view");
  var statusLine = document.getElementById("status-line");
  var C = window.PantauCharts;
  var LOCALE = document.body.dataset.lang === "en" ? "en-GB" : "id-ID";

  function can(role) { return RANK[ROLE] >= RANK[role]; }

  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") n.textContent = v;
      else if (k.slice(0, 2) === "on") n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      n.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return n;
  }

  function api(method, url, body, etag) {
    var headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = CSRF;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (etag) headers["If-None-Match"] = etag;
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) }).then(function (r) {
      if (r.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname); }
      if (r.status === 304 || r.status === 204) return { status: r.status, data: null, headers: r.headers };
      return r.json().then(function (data) { return { status: r.status, data: data, headers: r.headers }; });
    });
  }

  function problem(res) {
    if (res.status === 403) return T.not_allowed;
    return (res.data && (res.data.detail || res.data.title)) || T.error + " " + res.status;
  }

  function when(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(LOCALE, { timeZone: "Asia/Jakarta", day: "2-digit",
      month: "short", hour: "2-digit", minute: "2-digit" }) + " " + T.wib;
  }
  function pct(x) { return Math.round((x || 0) * 100) + "%"; }
  function hours(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 3600) return Math.round(seconds / 60) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  }
  function say(text) { statusLine.textContent = text; }
  function table(headers, rows, caption) {
    return el("table", {}, [caption ? el("caption", { text: caption }) : null,
      el("thead", {}, [el("tr", {}, headers.map(function (h) { return el("th", { scope: "col", text: h }); }))]),
      el("tbody", {}, rows)]);
  }
  function field(id, label, input) {
    input.id = id;
    return el("div", { class: "field" }, [el("label", { for: id, text: label }), input]);
  }
  function select(options, value) {
    return el("select", {}, options.map(function (o) {
      return el("option", { value: o[0], selected: o[0] === value, text: o[1] });
    }));
  }
  function statusBadge(s) { return el("span", { class: "badge status-" + s, text: T["status_" + s] || s }); }
  function sevBadge(v) {
    var level = v >= 70 ? "high" : v >= 40 ? "mid" : "low";
    return el("span", { class: "sev sev-" + level, text: Math.round(v) });
  }

  /* ---------- the issue board: 50 rows a page; polls its page with ETag, redraws on a 200 ---------- */
  var PAGE_ROWS = 50;
  function board() {
    // cursors[n] opens page n+1 (null: the first); a page's ETag is kept until it changes.
    var etag = null, wrap = el("div", {}), interval = 30, cursors = [null], page = 0, next = null;
    var timer = null, seq = 0;
    var pager = el("nav", { class: "pager", "aria-label": T.pages, hidden: true });
    var prev = el("button", { type: "button", onclick: function () { go(page - 1); } }, [T.prev_page]);
    var more = el("button", { type: "button", onclick: function () { go(page + 1); } }, [T.next_page]);
    var where = el("span", { class: "small", "aria-live": "polite" });
    pager.appendChild(prev); pager.appendChild(where); pager.appendChild(more);
    view.appendChild(wrap);
    view.appendChild(pager);
    function showPager() {
      prev.disabled = page === 0;
      more.disabled = !next;
      where.textContent = " " + T.page + " " + (page + 1) + " ";
      pager.hidden = page === 0 && !next;
    }
    function go(n) {
      if (n < 0 || n >= cursors.length) return;
      page = n; etag = null;
      if (timer) clearTimeout(timer);
      poll();
    }
    function draw(items) {
      wrap.textContent = "";
      items = items.filter(function (i) { return !i.deleted; });
      if (!items.length) { wrap.appendChild(el("p", { class: "empty", text: T.no_issues })); return; }
      var rows = items.map(function (i) {
        var b = i.severity_breakdown;
        var breakdown = b ? el("details", {}, [el("summary", { text: T.breakdown }),
          el("ul", {}, Object.keys(b.components).map(function (k) {
            return el("li", { text: k + ": " + b.components[k].toFixed(1) });
          })), el("p", { class: "muted", text: b.explanation })]) : null;
        var spark = el("span", { class: "spark", "data-issue": i.id });
        return el("tr", { "data-issue-id": i.id }, [
          el("td", {}, [sevBadge(i.severity), breakdown]),
          el("th", { scope: "row" }, [el("a", { href: "/issues/" + i.id, text: i.title }),
            el("div", { class: "muted small", text: (i.top_terms || []).slice(0, 5).join(", ") })]),
          el("td", {}, [spark, el("span", { class: "small", text: " " + i.article_count })]),
          el("td", { title: T.negative_share_help, text: pct(i.negative_share) }),
          el("td", {}, [statusBadge(i.status)]),
          el("td", { text: i.assignee || "–" }),
          el("td", { class: "small", text: when(i.last_seen_at) })
        ]);
      });
      wrap.appendChild(table([T.severity, T.title, T.volume, T.negative_share, T.status, T.assignee,
        T.last_seen], rows));
      var ids = items.map(function (i) { return "issue=" + i.id; }).join("&");
      api("GET", "/v1/issue-volume?days=7&" + ids).then(function (res) {
        if (res.status !== 200) return;
        res.data.items.forEach(function (s) {
          var slot = wrap.querySelector('.spark[data-issue="' + s.issue_id + '"]');
          if (slot) slot.appendChild(C.sparkline(s.counts, T.volume + ": " + s.counts.join(", ")));
        });
      });
      document.body.dataset.boardDrawn = String(performance.now());
    }
    function poll() {
      var mine = ++seq, cursor = cursors[page];
      var url = "/v1/issues?limit=" + PAGE_ROWS + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      api("GET", url, undefined, etag).then(function (res) {
        if (mine !== seq) return;  // the analyst turned the page meanwhile
        var p = parseInt(res.headers.get("X-Poll-Interval") || "30", 10);
        interval = isNaN(p) ? 30 : p;
        if (res.status === 200) {
          etag = res.headers.get("ETag");
          next = (res.data.page && res.data.page.next_cursor) || null;
          cursors.length = page + 1;
          if (next) cursors.push(next);
          draw(res.data.items);
        }
        showPager();
        say(T.updated + " " + new Date().toLocaleTimeString(LOCALE) + " · " + T.polling + " " + interval + " " + T.seconds);
        document.body.dataset.polls = String((parseInt(document.body.dataset.polls || "0", 10)) + 1);
      }).finally(function () {
        if (mine === seq) timer = setTimeout(poll, interval * 1000);
      });
    }
    poll();
  }

  /* ---------- one issue ---------- */
  function markPhrases(sentence, phrases) {
    var out = el("span", {});
    var lower = sentence.toLowerCase(), i = 0;
    var spans = [];
    (phrases || []).forEach(function (p) {
      var at = lower.indexOf(String(p).toLowerCase());
      if (p && at >= 0) spans.push([at, at + p.length]);
    });
    spans.sort(function (a, b) { return a[0] - b[0]; });
    spans.forEach(function (s) {
      if (s[0] < i) return;
      out.appendChild(document.createTextNode(sentence.slice(i, s[0])));
      out.appendChild(el("mark", { text: sentence.slice(s[0], s[1]) }));
      i = s[1];
    });
    out.appendChild(document.createTextNode(sentence.slice(i)));
    return out;
  }

  function issue(id) {
    var base = "/v1/issues/" + id;
    function load() {
      return Promise.all([api("GET", base), api("GET", base + "/responses"),
        api("GET", base + "/response-metrics")]).then(function (r) {
        if (r[0].status !== 200) { view.textContent = problem(r[0]); return; }
        render(r[0].data, r[1].data ? r[1].data.items : [], r[2].data);
      });
    }
    function render(d, responses, metrics) {
      view.textContent = "";
      document.getElementById("page-title").textContent = d.title;
      view.appendChild(el("p", { class: "summary" }, [sevBadge(d.severity), " ", statusBadge(d.status),
        " · " + d.article_count + " " + T.articles + " · " + T.negative_share + " " + pct(d.negative_share) +
        " · " + T.assignee + ": " + (d.assignee || "–")]));
      var grid = el("div", { class: "grid" });
      view.appendChild(grid);
      var left = el("div", {}), right = el("div", {});
      grid.appendChild(left); grid.appendChild(right);

      // timeline chart from the articles, per hour (or per day past three days)
      var times = d.articles.map(function (a) { return new Date(a.published_at).getTime(); });
      if (times.length) {
        var lo = Math.min.apply(null, times), hi = Math.max.apply(null, times);
        var step = hi - lo > 3 * 86400000 ? 86400000 : 3600000;
        var n = Math.min(200, Math.floor((hi - lo) / step) + 1), tot = [], neg = [], labels = [];
        for (var k = 0; k < n; k++) { tot.push(0); neg.push(0); labels.push(new Date(lo + k * step).toLocaleString(LOCALE, { timeZone: "Asia/Jakarta", day: "2-digit", hour: step < 86400000 ? "2-digit" : undefined })); }
        d.articles.forEach(function (a) {
          var b = Math.min(n - 1, Math.floor((new Date(a.published_at).getTime() - lo) / step));
          tot[b]++; if (a.label === "negative") neg[b]++;
        });
        left.appendChild(el("section", {}, [el("h2", { text: T.timeline }),
          C.lineChart(labels, [{ name: T.volume, values: tot, color: "#1f5fa8" },
            { name: T.negative, values: neg, color: "#b3261e" }], { label: T.timeline })]));
      }
      // stories
      left.appendChild(el("section", {}, [el("h2", { text: T.stories + " (" + d.story_count + ")" }),
        table([T.title, T.copies, T.outlets, T.first_outlet], (d.stories || []).map(function (s) {
          return el("tr", {}, [el("td", { text: s.title }), el("td", { text: s.copies }),
            el("td", { text: s.outlets }), el("td", { text: (s.first_outlet || "–") + " · " + when(s.first_published_at) })]);
        }))]));
      // articles with per-entity tone
      var list = el("ol", { class: "articles" });
      d.articles.forEach(function (a) {
        var tones = (a.targets || []).map(function (t) {
          return el("div", { class: "tone tone-" + t.label }, [
            el("strong", { text: t.name }), " " + t.label + " (" + Math.round((t.negativity || 0) * 100) + "%)",
            el("ul", { class: "evidence", "aria-label": T.evidence }, (t.evidence || []).map(function (s) {
              return el("li", {}, [markPhrases(s, t.phrases)]);
            }))]);
        });
        list.appendChild(el("li", { class: "article label-" + (a.label || "none") }, [
          el("a", { href: a.url, rel: "noopener noreferrer", target: "_blank", text: a.title }),
          el("div", { class: "muted small", text: (a.outlet || "") + " · " + when(a.published_at) + " · " + (a.label || "–") })
        ].concat(tones)));
      });
      left.appendChild(el("section", {}, [el("h2", { text: T.articles }), list]));

      // triage
      if (can("analyst")) {
        var st = select(["new", "monitoring", "escalated", "resolved", "dismissed"].map(function (s) { return [s, T["status_" + s]]; }), d.status);
        var reason = select([["", "–"], ["false_positive", "false_positive"], ["not_relevant", "not_relevant"]], "");
        var who = el("input", { type: "text", value: d.assignee || "" });
        var note = el("textarea", { rows: 3 });
        var msg = el("p", { role: "status", class: "muted" });
        var form = el("form", { class: "card", id: "triage" }, [el("h2", { text: T.triage }),
          field("triage-status", T.status, st), field("triage-reason", T.dismiss_reason, reason),
          field("triage-assignee", T.assignee, who), field("triage-comment", T.comment, note),
          el("button", { type: "submit", text: T.save }), msg]);
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          var body = {};
          if (st.value !== d.status) body.status = st.value;
          if (reason.value) body.dismissed_reason = reason.value;
          if (who.value !== (d.assignee || "")) body.assignee = who.value;
          if (note.value.trim()) body.comment = note.value.trim();
          api("PATCH", base, body).then(function (res) {
            if (res.status === 200) { load(); } else { msg.textContent = problem(res); }
          });
        });
        right.appendChild(form);
      }
      right.appendChild(el("section", { class: "card" }, [el("h2", { text: T.comments }),
        el("ul", { class: "comments" }, (d.comments || []).map(function (c) {
          return el("li", {}, [el("strong", { text: c.actor }), " · " + when(c.at) + ": ", el("span", { text: c.text })]);
        }))]));
      // response loop
      var m = metrics || {};
      right.appendChild(el("section", { class: "card", id: "response-metrics" }, [el("h2", { text: T.responses }),
        el("dl", {}, [el("dt", { text: T.time_to_detect }), el("dd", { text: hours(m.time_to_detect_seconds) }),
          el("dt", { text: T.time_to_alert }), el("dd", { text: hours(m.time_to_alert_seconds) }),
          el("dt", { text: T.time_to_triage }), el("dd", { text: hours(m.time_to_triage_seconds) }),
          el("dt", { text: T.time_to_respond }), el("dd", { text: hours(m.time_to_respond_seconds) })]),
        m.before ? el("p", { text: T.before + ": " + m.before.articles_per_day.toFixed(1) + " " + T.per_day + ", " + pct(m.before.negative_share) + " · " + T.after + ": " + m.after.articles_per_day.toFixed(1) + " " + T.per_day + ", " + pct(m.after.negative_share) }) : null,
        el("ul", { class: "responses" }, responses.map(function (r) {
          return el("li", {}, [el("strong", { text: T[r.kind] || r.kind }), " · " + when(r.responded_at) + " · " + r.actor + " ",
            r.url ? el("a", { href: r.url, rel: "noopener noreferrer", text: r.url }) : null,
            r.outlet ? " → " + r.outlet + (r.published ? " (" + T.published + " " + when(r.published_at) + ")" : "") : null,
            r.note ? el("div", { class: "muted", text: r.note }) : null]);
        }))]));
      if (can("analyst")) {
        var kind = select(["statement", "press_release", "hak_jawab", "clarification"].map(function (k) { return [k, T[k]]; }), "statement");
        var url = el("input", { type: "url" }), outlet = el("input", { type: "text" });
        var rnote = el("textarea", { rows: 2 }), pub = el("input", { type: "checkbox" });
        var rmsg = el("p", { role: "status", class: "muted" });
        var rform = el("form", { class: "card", id: "response-form" }, [el("h2", { text: T.record_response }),
          field("response-kind", T.kind, kind), field("response-url", T.url, url),
          field("response-outlet", T.outlet, outlet), field("response-note", T.note, rnote),
          field("response-published", T.published, pub), el("button", { type: "submit", text: T.save }), rmsg]);
        rform.addEventListener("submit", function (e) {
          e.preventDefault();
          var body = { kind: kind.value };
          if (url.value) body.url = url.value;
          if (outlet.value) body.outlet = outlet.value;
          if (rnote.value) body.note = rnote.value;
          if (pub.checked) { body.published = true; body.published_at = new Date().toISOString(); }
          api("POST", base + "/responses", body).then(function (res) {
            if (res.status === 201) { load(); } else { rmsg.textContent = problem(res); }
          });
        });
        right.appendChild(rform);
      }
      right.appendChild(el("section", { class: "card", id: "debunks" }, [el("h2", { text: T.debunks }),
        d.debunks && d.debunks.length ? el("ul", {}, d.debunks.map(function (x) {
          return el("li", {}, [el("a", { href: x.url, rel: "noopener noreferrer", text: x.title || x.url }),
            x.publisher ? " · " + x.publisher : null]);
        })) : el("p", { class: "muted", text: T.no_debunks })]));
      say(T.updated + " " + new Date().toLocaleTimeString(LOCALE));
    }
    load();
  }

  /* ---------- watchlists: query editor with live test ---------- */
  function watchlists() {
    var list = el("div", {});
    var name = el("input", { type: "text", required: true });
    var query = el("textarea", { rows: 3, spellcheck: "false", "aria-describedby": "query-feedback" });
    var feedback = el("div", { id: "query-feedback", role: "status", "aria-live": "polite" });
    var hits = el("div", {});
    var timer = null;
    function test() {
      api("POST", "/v1/watchlists/test", { query: query.value, limit: 10 }).then(function (res) {
        feedback.textContent = ""; hits.textContent = "";
        if (res.status === 422 && res.data && res.data.position !== undefined) {
          var pos = res.data.position;
          feedback.className = "error";
          feedback.appendChild(el("pre", { class: "query-error" }, [query.value.slice(0, pos),
            el("mark", { class: "caret", text: query.value.slice(pos, pos + 1) || " " }), query.value.slice(pos + 1)]));
          feedback.appendChild(el("p", { text: res.data.detail }));
          return;
        }
        if (res.status !== 200) { feedback.className = "error"; feedback.textContent = problem(res); return; }
        feedback.className = "ok";
        feedback.textContent = res.data.matched + " " + T.matched + " / " + res.data.scanned + " " + T.scanned;
        hits.appendChild(el("ul", {}, res.data.items.map(function (h) {
          return el("li", {}, [el("a", { href: h.url, rel: "noopener noreferrer", text: h.title }),
            el("span", { class: "muted small", text: " " + (h.outlet || "") + " · " + h.matched_terms.join(", ") })]);
        })));
      });
    }
    query.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(test, 300); });
    var form = el("form", { class: "card" }, [field("wl-name", T.name, name), field("wl-query", T.query, query),
      feedback, el("button", { type: "button", onclick: test, text: T.test_query }), " ",
      can("analyst") ? el("button", { type: "submit", text: T.create }) : null, hits]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "/v1/watchlists", { name: name.value, query: query.value }).then(function (res) {
        if (res.status === 201) { name.value = ""; refresh(); } else { feedback.textContent = problem(res); }
      });
    });
    function refresh() {
      api("GET", "/v1/watchlists").then(function (res) {
        list.textContent = "";
        list.appendChild(table([T.name, T.query, T.priority, T.active], res.data.items.map(function (w) {
          return el("tr", {}, [el("td", { text: w.name }), el("td", {}, [el("code", { text: w.query })]),
            el("td", { text: w.priority }), el("td", { text: w.active ? T.yes : T.no })]);
        })));
      });
    }
    view.appendChild(form); view.appendChild(list); refresh();
  }

  function entities() {
    api("GET", "/v1/entities").then(function (res) {
      view.appendChild(table([T.name, "Alias", T.active], res.data.items.map(function (e) {
        return el("tr", {}, [el("td", { text: e.name }), el("td", { text: (e.aliases || []).join(", ") }),
          el("td", { text: e.active ? T.yes : T.no })]);
      })));
    });
  }

  function sources() {
    api("GET", "/v1/sources?limit=200").then(function (res) {
      view.appendChild(table([T.name, "URL", T.health, T.last_error], res.data.items.map(function (s) {
        var bad = s.error_count > 0;
        return el("tr", { class: bad ? "failing" : "" }, [el("td", { text: s.name }), el("td", { class: "small", text: s.url }),
          el("td", { text: (s.enabled ? "" : "⏸ ") + (s.last_status || "–") + (bad ? " ×" + s.error_count : "") }),
          el("td", { class: "small", text: s.last_error || "" })]);
      })));
    });
  }

  function alerts() {
    api("GET", "/v1/alert-rules").then(function (res) {
      var log = el("div", { id: "delivery-log" });
      view.appendChild(table([T.name, T.kind, T.active, T.deliveries], res.data.items.map(function (r) {
        return el("tr", {}, [el("td", { text: r.name }), el("td", { text: r.kind + (r.threshold !== null ? " ≥ " + r.threshold : "") }),
          el("td", { text: r.active ? T.yes : T.no }),
          el("td", {}, [can("analyst") ? el("button", { type: "button", text: T.deliveries, onclick: function () {
            api("GET", "/v1/alert-rules/" + r.id + "/deliveries").then(function (d) {
              log.textContent = "";
              if (d.status !== 200) { log.textContent = problem(d); return; }
              log.appendChild(table(["#", T.status, "HTTP", T.updated], d.data.items.map(function (x) {
                return el("tr", {}, [el("td", { text: x.id }), el("td", { text: x.status }),
                  el("td", { text: x.response_code || "–" }), el("td", { text: when(x.updated_at || x.created_at) })]);
              }), r.name));
            });
          } }) : null])]);
      })));
      view.appendChild(log);
    });
  }

  function keys() {
    var out = el("div", {});
    var name = el("input", { type: "text", required: true });
    var role = select([["viewer", "viewer"], ["analyst", "analyst"], ["admin", "admin"]], "viewer");
    var shown = el("p", { role: "status" });
    var form = el("form", { class: "card" }, [field("key-name", T.name, name), field("key-role", T.role, role),
      el("button", { type: "submit", text: T.create }), shown]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "/v1/keys", { name: name.value, role: role.value }).then(function (res) {
        if (res.status === 201) { shown.textContent = T.new_key_once + " "; shown.appendChild(el("code", { text: res.data.key || res.data.secret })); refresh(); }
        else shown.textContent = problem(res);
      });
    });
    function refresh() {
      api("GET", "/v1/keys").then(function (res) {
        out.textContent = "";
        out.appendChild(table([T.name, T.role, "Prefix", ""], res.data.items.map(function (k) {
          return el("tr", {}, [el("td", { text: k.name }), el("td", { text: k.role }), el("td", {}, [el("code", { text: k.prefix })]),
            el("td", {}, [el("button", { type: "button", text: T.revoke, onclick: function () {
              api("DELETE", "/v1/keys/" + k.id).then(refresh);
            } })])]);
        })));
      });
    }
    view.appendChild(form); view.appendChild(out); refresh();
  }

  function charts() {
    var since = new Date(Date.now() - 30 * 86400000).toISOString();
    api("GET", "/v1/watchlists").then(function (res) {
      res.data.items.slice(0, 8).forEach(function (w) {
        var box = el("section", { class: "card" }, [el("h2", { text: T.volume_over_time + ": " + w.name })]);
        view.appendChild(box);
        api("GET", "/v1/stats/timeline?interval=day&watchlist=" + w.id + "&since=" + encodeURIComponent(since)).then(function (t) {
          if (t.status !== 200) return;
          var labels = t.data.buckets.map(function (b) { return b.start.slice(5, 10); });
          var share = t.data.buckets.map(function (b) { return b.total ? (100 * b.negative) / b.total : 0; });
          box.appendChild(C.lineChart(labels, [{ name: T.volume, values: t.data.buckets.map(function (b) { return b.total; }) },
            { name: T.negative_share + " %", values: share, color: "#b3261e", axis: "right" }], { label: w.name, rightMaxLabel: "%" }));
        });
      });
    });
    var sov = el("section", { class: "card" }, [el("h2", { text: T.share_of_voice })]);
    var terms = el("section", { class: "card" }, [el("h2", { text: T.top_terms })]);
    view.appendChild(sov); view.appendChild(terms);
    api("GET", "/v1/stats/share-of-voice?by=outlet&since=" + encodeURIComponent(since)).then(function (r) {
      if (r.status === 200) sov.appendChild(C.barChart(r.data.items.map(function (x) {
        return { label: x.key, value: x.count, text: x.count + " (" + x.negative + " neg.)" }; }), { label: T.share_of_voice }));
    });
    api("GET", "/v1/stats/top-terms?since=" + encodeURIComponent(since)).then(function (r) {
      if (r.status === 200) terms.appendChild(C.barChart(r.data.items.map(function (x) {
        return { label: x.term, value: x.articles }; }), { label: T.top_terms, color: "#5b3fa0" }));
    });
  }

  function responses() {
    api("GET", "/v1/response-stats?weeks=8").then(function (res) {
      if (res.status !== 200) { view.textContent = problem(res); return; }
      var d = res.data;
      view.appendChild(el("dl", { class: "card" }, [el("dt", { text: T.median + " " + T.time_to_detect }),
        el("dd", { text: hours(d.median_time_to_detect_seconds) }), el("dt", { text: T.median + " " + T.time_to_respond }),
        el("dd", { text: hours(d.median_time_to_respond_seconds) })]));
      view.appendChild(table([T.week, T.issue, T.responses, T.median + " " + T.time_to_detect, T.median + " " + T.time_to_respond],
        d.weeks.map(function (w) {
          return el("tr", {}, [el("td", { text: w.week_start.slice(0, 10) }), el("td", { text: w.issues }),
            el("td", { text: w.responses }), el("td", { text: hours(w.median_time_to_detect_seconds) }),
            el("td", { text: hours(w.median_time_to_respond_seconds) })]);
        })));
    });
  }

  function reports() {
    var today = new Date(Date.now() + 7 * 3600000).toISOString().slice(0, 10);
    var date = el("input", { type: "date", value: today });
    var links = el("p", {});
    function update() {
      links.textContent = "";
      [["daily", T.daily_report], ["weekly", T.weekly_report]].forEach(function (k) {
        links.appendChild(el("a", { class: "button", id: "report-" + k[0] + "-pdf", href: "/v1/reports/" + k[0] + "?date=" + date.value + "&format=pdf", download: "pantau-" + k[0] + "-" + date.value + ".pdf", text: k[1] + " · " + T.download_pdf }));
        links.appendChild(document.createTextNode(" "));
        links.appendChild(el("a", { class: "button", href: "/v1/reports/" + k[0] + "?date=" + date.value + "&format=html", text: k[1] + " · " + T.open_html }));
        links.appendChild(document.createTextNode(" "));
      });
    }
    date.addEventListener("change", update);
    view.appendChild(el("div", { class: "card" }, [field("report-date", T.date, date), links]));
    update();
  }

  var VIEWS = { board: board, issue: issue, watchlists: watchlists, entities: entities, sources: sources,
    alerts: alerts, keys: keys, charts: charts, responses: responses, reports: reports };
  var page = view.dataset.page;
  if (VIEWS[page]) VIEWS[page](document.body.dataset.item);
})();
