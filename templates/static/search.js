/*
 * Apparatus search: lunr.js 2.3.9 over the split index that apparatus/search.py writes.
 *
 * Loaded only when a reader searches (the header box's first focus, or the search page): it then
 * loads search/lunr.min.js, search/manifest.js, the term shards a query needs (search/t/<n>.js)
 * and the display data of the results shown (search/d/<n>.js). Data files are scripts calling
 * ApparatusSearch.data(name, value), so search also works from file://. No other host is asked.
 *
 * Text is cut into words and terms exactly as in apparatus/search.py (normalize, words, expand, and
 * per language: English's and lunr-languages' French pipelines, Chinese bigrams, Arabic-script words):
 * keep both in step. A query becomes one lunr query per Latin language of the index (plan), merged by
 * score (run). lunr.fr (search/lunr.stemmer.support.min.js, search/lunr.fr.min.js) is loaded only for
 * an index with French text. From the shards loaded, a lunr.Index is rebuilt holding every loaded
 * term whole, and for each document field the vector elements of those terms. lunr.js scores a field
 * as dot(query vector, field vector) / |query vector|, so lunr.Index.prototype.query, unmodified,
 * gives exactly the scores and order the whole index gives (tests/search/compare.js checks it).
 *
 * The core (no DOM) also runs in Node: module.exports = the same object as window.ApparatusSearch.
 */
(function (global) {
  'use strict';

  // --- text → words and terms, per language (mirrors apparatus/search.py) --------------------------
  var HAN = '\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff', JOIN = "[\\-/.'_:&,]";
  var OTHER = '(?:(?![' + HAN + '\u0600-\u06ff])[\\p{L}\\p{N}\\p{M}])';  // letters, digits, marks of other scripts
  var ARABIC = '(?:(?=[\u0600-\u06ff])[\\p{L}\\p{N}\\p{M}])';
  var CHUNK = OTHER + '+(?:' + JOIN + OTHER + '+)*';
  var WORDS = new RegExp('([' + HAN + ']+)|(' + ARABIC + '+)|(' + CHUNK + ')', 'gu');
  var SPLIT = new RegExp(JOIN);
  var TYPOGRAPHIC = { '\u2019': "'", '\u2018': "'", '\u02bc': "'", '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-' };
  var LANGUAGES = ['en', 'fr', 'zh', 'ug'];

  /** NFKC, lower case, typographic ’ and hyphens made plain, astral → space, tatweel and vowel marks dropped. */
  function normalize(text) {
    if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase();
    return text.normalize('NFKC').toLowerCase().replace(/[\u{10000}-\u{10ffff}]/gu, ' ')
      .replace(/[\u2019\u2018\u02bc\u2010-\u2013]/g, function (c) { return TYPOGRAPHIC[c]; })
      .replace(/[\u0640\u064b-\u0652\u0670]/g, '');
  }

  function foldChunk(chunk) {
    return /^[\x00-\x7f]*$/.test(chunk) ? chunk : chunk.normalize('NFKD').replace(/\p{Mn}/gu, '');
  }

  /** English folding: NFKD, no combining marks, on normalize's text. */
  function fold(text) {
    return foldChunk(normalize(text));
  }

  /** [script, word] for each word of text: "Hani" (a Han run), "Arab" (an Arabic-script run), "Latn" (a chunk). */
  function words(text) {
    var out = [], m, s = normalize(text);
    WORDS.lastIndex = 0;
    while ((m = WORDS.exec(s)) !== null) out.push([m[1] ? 'Hani' : m[2] ? 'Arab' : 'Latn', m[0], m.index + m[0].length, s]);
    return out;
  }

  function expand(chunk) {
    var parts = chunk.split(SPLIT);
    if (parts.length === 1) return [chunk];
    var out = [chunk], end = parts[0].length;
    for (var i = 1; i < parts.length - 1; i++) {
      end += 1 + parts[i].length;
      out.push(chunk.slice(0, end));
    }
    parts.forEach(function (p) { if (p.length > 1 || (p >= '0' && p <= '9')) out.push(p); });
    return out;
  }

  /** A Han run's index terms: overlapping bigrams and its last character alone (a lone character: itself). */
  function hanTerms(run) {
    var chars = Array.from(run), out = [];
    if (chars.length === 1) return chars;
    for (var i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
    out.push(chars[chars.length - 1]);
    return out;
  }

  /**
   * The language analyses over lunr.js, given the manifest's pipelines (registered names: lunr's
   * stopWordFilter and stemmer; lunr.fr's stopWordFilter-fr, accentFold-fr and stemmer-fr, which need
   * lunr-languages loaded) and the index's languages. index[lang](script, word) → the word's index
   * terms in that language's fields; term[lang](word) → a Latin query word's term (undefined for a
   * stop word); prefix[lang](word) → a Latin query word as a wildcard's prefix.
   */
  function analyses(lunr, pipelines, languages) {
    var en = lunr.Pipeline.load(pipelines.en), hasFr = languages.indexOf('fr') >= 0;
    var fr = hasFr ? lunr.Pipeline.load(pipelines.fr) : null, frFold = hasFr ? lunr.Pipeline.load(['accentFold-fr']) : null;
    function run(pipeline, tokens) {
      var out = [];
      tokens.forEach(function (t) { out.push.apply(out, pipeline.runString(t)); });
      return out;
    }
    return {
      languages: languages,
      index: {
        en: function (script, word) {
          if (script !== 'Latn') return [];
          var folded = foldChunk(word);
          return folded ? run(en, expand(folded)) : [];
        },
        fr: function (script, word) { return script === 'Latn' && fr ? run(fr, expand(word)) : []; },
        zh: function (script, word) { return script === 'Hani' ? hanTerms(word) : []; },
        ug: function (script, word) { return script === 'Arab' ? [word] : []; }
      },
      term: {
        en: function (word) { var f = foldChunk(word); return f ? en.runString(f)[0] : undefined; },
        fr: function (word) { return fr.runString(word)[0]; }
      },
      prefix: {
        en: foldChunk,
        fr: function (word) { return frFold.runString(word)[0]; }
      }
    };
  }

  /** The index terms of text in a language's fields. */
  function terms(analysis, text, lang) {
    var out = [];
    words(text).forEach(function (w) { out.push.apply(out, analysis.index[lang](w[0], w[1])); });
    return out;
  }

  /** A query's words: [{script, word, wildcard}], wildcard when the word is followed by "*". */
  function queryWords(query) {
    return words(query).map(function (w) {
      return { script: w[0], word: w[1], wildcard: w[3].charAt(w[2]) === '*' };
    });
  }

  /**
   * The query construction (documented in apparatus/search.py): the lunr queries a query's words
   * make, as [{lang, clauses: [{term, fields, wildcard}]}]. Latin-script words run once per Latin
   * language of the index (English always: it holds the symbols), each in that language's fields with
   * its pipeline's term (none for its stop words); Han words give their bigrams (a lone character: a
   * prefix, 字*) in the Chinese fields; Arabic-script words themselves in the Uyghur fields. With no
   * Latin-script word, one query.
   */
  function plan(analysis, words) {
    var latin = words.some(function (w) { return w.script === 'Latn'; });
    var runs = latin ? ['en'].concat(analysis.languages.indexOf('fr') >= 0 ? ['fr'] : []) : [null];
    return runs.map(function (lang) {
      var clauses = [];
      words.forEach(function (w) {
        if (w.script === 'Latn') {
          var fields = lang === 'en' ? ['title_en', 'text_en', 'symbols'] : ['title_fr', 'text_fr'];
          var term = w.wildcard ? analysis.prefix[lang](w.word) : analysis.term[lang](w.word);
          if (term) clauses.push({ term: term, fields: fields, wildcard: w.wildcard });
        } else if (w.script === 'Hani') {
          var han = hanTerms(w.word);
          if (han.length === 1) clauses.push({ term: han[0], fields: ['title_zh', 'text_zh'], wildcard: true });
          else han.slice(0, -1).forEach(function (t) { clauses.push({ term: t, fields: ['title_zh', 'text_zh'], wildcard: false }); });
        } else {
          clauses.push({ term: w.word, fields: ['title_ug', 'text_ug'], wildcard: w.wildcard });
        }
      });
      return { lang: lang, clauses: clauses };
    }).filter(function (r) { return r.clauses.length; });
  }

  /**
   * Run the planned queries on a lunr.Index, every clause required (AND) or optional (OR), and merge
   * their results by lunr's own scores: a document's best score (its match data combined), highest
   * first, ties in the order met.
   */
  function run(lunr, index, runs, required) {
    var presence = required ? lunr.Query.presence.REQUIRED : lunr.Query.presence.OPTIONAL;
    var best = Object.create(null), order = [];
    runs.forEach(function (r) {
      index.query(function (q) {
        r.clauses.forEach(function (c) {
          q.term(c.term, { fields: c.fields, presence: presence, usePipeline: false,
            wildcard: c.wildcard ? lunr.Query.wildcard.TRAILING : lunr.Query.wildcard.NONE });
        });
      }).forEach(function (result) {
        var had = best[result.ref];
        if (!had) { best[result.ref] = result; order.push(result.ref); return; }
        result.matchData.combine(had.matchData);
        if (result.score > had.score) best[result.ref] = result;
        else had.matchData = result.matchData;
      });
    });
    var results = order.map(function (ref) { return best[ref]; });
    var rank = Object.create(null);
    order.forEach(function (ref, i) { rank[ref] = i; });
    return results.sort(function (a, b) { return b.score - a.score || rank[a.ref] - rank[b.ref]; });
  }

  /** Every word required; if no document has them all, any word: {results, any}. */
  function find(lunr, index, runs, words) {
    var results = run(lunr, index, runs, true), any = false;
    if (!results.length && words.length > 1) {
      results = run(lunr, index, runs, false);
      any = results.length > 0;
    }
    return { results: results, any: any };
  }

  // --- the split index ------------------------------------------------------------------------------

  /**
   * A searcher over the split index. load(name) → Promise of a data file's value
   * ("manifest", "t/<n>", "d/<n>"); lunr is the lunr.js module; loadFrench() → Promise, once lunr.fr
   * is registered (needed only if lunr.fr is not yet and the index has French text).
   */
  function Searcher(lunr, load, loadFrench) {
    this.lunr = lunr;
    this.load = load;
    this.loadFrench = loadFrench;
    this.manifest = null;
    this.analysis = null;
    this.shards = {};     // shard number → Promise of its entries
    this.loaded = [];     // shard numbers whose entries are in this.index
    this.entries = {};    // shard number → entries, once loaded
    this.index = null;
    this.fragments = {};  // fragment number → Promise of its rows
  }

  Searcher.prototype.ready = function () {
    var self = this;
    if (!this._ready) {
      this._ready = this.load('manifest').then(function (m) {
        self.manifest = m;
        // French once a query has Latin-script words (french()): a Chinese query needs no lunr.fr
        self.analysis = analyses(self.lunr, m.pipelines, m.languages.filter(function (l) { return l !== 'fr'; }));
      });
    }
    return this._ready;
  };

  /** Once ready: the French analysis, if the index has French text (lunr.fr loaded first, if need be). */
  Searcher.prototype.french = function () {
    var self = this, m = this.manifest;
    if (m.languages.indexOf('fr') < 0) return Promise.resolve();
    if (!this._french) {
      this._french = Promise.resolve(this.lunr.fr ? null : this.loadFrench()).then(function () {
        self.analysis = analyses(self.lunr, m.pipelines, m.languages);
        self.terms = null;  // (spans' cache: words now have French terms too)
      });
    }
    return this._french;
  };

  /** The shard holding term: the last whose first term sorts before or at it. */
  Searcher.prototype.shardOf = function (term) {
    var keys = this.manifest.shards, lo = 0, hi = keys.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (keys[mid] <= term) lo = mid; else hi = mid - 1;
    }
    return lo;
  };

  /** Shard numbers the planned queries' terms can match in. */
  Searcher.prototype.shardsFor = function (runs) {
    var self = this, need = {};
    runs.forEach(function (r) {
      r.clauses.forEach(function (c) {
        if (c.wildcard) {
          for (var i = self.shardOf(c.term), j = self.shardOf(c.term + '\uffff'); i <= j; i++) need[i] = true;
        } else {
          need[self.shardOf(c.term)] = true;
        }
      });
    });
    return Object.keys(need).map(Number);
  };

  Searcher.prototype._shards = function (numbers) {
    var self = this;
    return Promise.all(numbers.map(function (n) {
      if (!self.shards[n]) {
        self.shards[n] = self.load('t/' + n).then(function (entries) { self.entries[n] = entries; });
      }
      return self.shards[n];
    })).then(function () {
      var have = Object.keys(self.entries).length;
      if (!self.index || have !== self.loaded.length) self._rebuild();
    });
  };

  /** A lunr.Index of every loaded term: its whole posting, and its elements in each field vector. */
  Searcher.prototype._rebuild = function () {
    var lunr = this.lunr, fields = this.manifest.fields, all = [], terms = [];
    var inverted = Object.create(null), elements = Object.create(null), vectors = Object.create(null);
    this.loaded = Object.keys(this.entries);
    this.loaded.forEach(function (n) { all.push.apply(all, this.entries[n]); }, this);
    all.sort(function (a, b) { return a[1] - b[1]; });  // by term index: vector elements in order
    all.forEach(function (e) {  // [term, index, then per field it is in: field number, doc deltas, weights]
      var posting = {}, idx = e[1];
      for (var f = 0; f < fields.length; f++) posting[fields[f]] = {};
      for (var p = 2; p < e.length; p += 3) {
        var name = fields[e[p]], deltas = e[p + 1], weights = e[p + 2], field = posting[name], doc = 0;
        for (var k = 0; k < deltas.length; k++) {
          doc += deltas[k];
          field[doc] = {};
          var key = name + '/' + doc;
          (elements[key] || (elements[key] = [])).push(idx, weights[k] / 1000);
        }
      }
      posting._index = idx;
      inverted[e[0]] = posting;
      terms.push(e[0]);
    });
    for (var key in elements) vectors[key] = new lunr.Vector(elements[key]);
    this.index = new lunr.Index({
      invertedIndex: inverted, fieldVectors: vectors, tokenSet: lunr.TokenSet.fromArray(terms.sort()),
      fields: fields, pipeline: new lunr.Pipeline()
    });
  };

  /**
   * Search: every word required; if nothing has them all, any word (any = true).
   * Resolves to {words, results: lunr results, any}.
   */
  Searcher.prototype.search = function (query) {
    var self = this, words = queryWords(query);
    if (!words.length) return Promise.resolve({ words: words, results: [], any: false });
    var runs;
    return this.ready().then(function () {
      return words.some(function (w) { return w.script === 'Latn'; }) ? self.french() : null;
    }).then(function () {
      runs = plan(self.analysis, words);
      return self._shards(self.shardsFor(runs));
    }).then(function () {
      var found = find(self.lunr, self.index, runs, words);
      return { words: words, results: found.results, any: found.any };
    });
  };

  /** A document's display data, by its number (a lunr ref): {url, kind, title, context, text}. */
  Searcher.prototype.doc = function (ref) {
    var n = Number(ref), groups = this.manifest.fragments, g = groups[0];
    for (var i = 1; i < groups.length && groups[i][0] <= n; i++) g = groups[i];
    var fragment = g[2] + Math.floor((n - g[0]) / g[1]), row = (n - g[0]) % g[1], self = this;
    if (!this.fragments[fragment]) this.fragments[fragment] = this.load('d/' + fragment);
    return this.fragments[fragment].then(function (rows) {
      var r = rows[row];
      return { ref: ref, url: r[0], kind: r[1], title: r[2], context: r[3], text: r[4] };
    });
  };

  /** The terms (index side) each word-like span of a display text stands for: [{start, end, terms}]. */
  var LOOSE = new RegExp("[\\p{L}\\p{N}\\p{M}]+(?:[\\-/.'_:&,\u2019\u2018\u02bc\u2010-\u2013][\\p{L}\\p{N}\\p{M}]+)*", 'gu');
  Searcher.prototype.spans = function (text, matched) {
    var out = [], m, analysis = this.analysis, cache = this.terms || (this.terms = new Map());
    LOOSE.lastIndex = 0;
    while ((m = LOOSE.exec(text)) !== null) {
      var word = m[0], t = cache.get(word);
      if (t === undefined) {  // the word's terms in every language, once per word
        t = [];
        LANGUAGES.forEach(function (lang) { t.push.apply(t, terms(analysis, word, lang)); });
        cache.set(word, t);
      }
      if (t.some(function (x) { return matched[x]; })) out.push([m.index, m.index + word.length]);
    }
    return out;
  };

  var api = {
    normalize: normalize, fold: fold, words: words, expand: expand, hanTerms: hanTerms, analyses: analyses,
    terms: terms, queryWords: queryWords, plan: plan, run: run, find: find, Searcher: Searcher
  };

  if (typeof module === 'object' && module.exports) {
    module.exports = api;
    return;
  }

  // --- the browser: script loading, the header box, the search page ----------------------------------

  if (global.ApparatusSearch) return;  // loaded twice (the header's loader and the search page)
  var script = document.currentScript;
  var ROOT = new URL('../', script ? script.src : location.href).href;
  var pending = {};

  api.data = function (name, value) {
    if (pending[name]) pending[name].resolve(value);
  };

  function loadScript(src, ordered) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      if (ordered) s.async = false;  // scripts inserted so run in the order inserted
      s.onload = resolve;
      s.onerror = function () { reject(new Error('could not load ' + src)); };
      document.head.appendChild(s);
    });
  }

  function loadData(name) {
    var p = pending[name];
    if (!p) {
      p = pending[name] = {};
      p.promise = new Promise(function (resolve, reject) { p.resolve = resolve; p.reject = reject; });
      loadScript(ROOT + 'search/' + name + '.js').catch(function (e) { delete pending[name]; p.reject(e); });
    }
    return p.promise;
  }

  /** lunr-languages' stemmer support and lunr.fr: fetched together, run in order (async off), after lunr.js. */
  function loadFrench() {
    return Promise.all(['lunr.stemmer.support.min.js', 'lunr.fr.min.js'].map(function (name) {
      return loadScript(ROOT + 'search/' + name, true);
    }));
  }

  var searcher = null;
  function getSearcher() {
    if (!searcher) {
      var manifest = loadData('manifest');  // in parallel with lunr.js
      searcher = Promise.all([global.lunr ? null : loadScript(ROOT + 'search/lunr.min.js'), manifest]).then(function () {
        return new Searcher(global.lunr, loadData, loadFrench);
      });
    }
    return searcher;
  }

  var KIND = { article: 'Article', correction: 'Correction', context: 'Context', source: 'Source', record: 'Record' };
  var CSS = [
    '.site-header{position:relative}',
    '.search-panel{position:absolute;left:.5rem;right:.5rem;top:100%;z-index:20;max-height:75vh;overflow:auto;',
    'background:var(--bg,#fff);border:1px solid var(--rule,#ccc);box-shadow:0 .3rem 1rem rgba(0,0,0,.2);padding:.25rem .75rem}',
    '.search-results{list-style:none;padding:0;margin:0}',
    '.search-results li{border-bottom:1px solid var(--rule,#ccc);padding:.5rem 0}',
    '.search-results a{display:block;font-weight:600}',
    '.search-results a:focus{outline:2px solid var(--link,#06c);outline-offset:2px}',
    '.search-kind{display:inline-block;font-size:.75rem;letter-spacing:.04em;text-transform:uppercase;margin-right:.4rem;',
    'color:var(--muted,#555);font-weight:700}',
    '.search-context{display:block;color:var(--muted,#555);font-size:.9rem}',
    '.search-snippet{margin:.25rem 0 0;font-size:.95rem}',
    '.search-results mark{background:var(--context,#ff8);color:inherit}',
    '.search-status{margin:.25rem 0;color:var(--muted,#555)}'
  ].join('');

  function addStyle() {
    if (document.getElementById('search_style')) return;
    var s = document.createElement('style');
    s.id = 'search_style';
    s.textContent = CSS;
    document.head.appendChild(s);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  /** text with the spans marked; cut to about size characters around the first span when longer. */
  function marked(text, spans, size) {
    var from = 0, to = text.length, frag = document.createDocumentFragment();
    if (text.length > size) {
      var at = spans.length ? spans[0][0] : 0;
      from = Math.max(0, at - Math.round(size / 4));
      if (from > 0) from = text.indexOf(' ', from) + 1 || from;
      to = Math.min(text.length, from + size);
      if (to < text.length) to = text.lastIndexOf(' ', to) > from ? text.lastIndexOf(' ', to) : to;
    }
    if (from > 0) frag.appendChild(document.createTextNode('…'));
    var pos = from;
    spans.forEach(function (s) {
      if (s[0] < pos || s[1] > to) return;
      frag.appendChild(document.createTextNode(text.slice(pos, s[0])));
      frag.appendChild(el('mark', '', text.slice(s[0], s[1])));
      pos = s[1];
    });
    frag.appendChild(document.createTextNode(text.slice(pos, to)));
    if (to < text.length) frag.appendChild(document.createTextNode('…'));
    return frag;
  }

  function resultItem(s, d, matched) {
    var li = el('li'), a = el('a');
    a.href = ROOT + d.url;
    a.appendChild(el('span', 'search-kind', KIND[d.kind] || d.kind));
    var title = el('span', 'search-title');
    title.appendChild(marked(d.title, s.spans(d.title, matched), 140));
    a.appendChild(title);
    li.appendChild(a);
    if (d.context) {
      var context = el('span', 'search-context');
      context.appendChild(marked(d.context, s.spans(d.context, matched), 300));
      li.appendChild(context);
    }
    if (d.kind !== 'record') {  // a record's text is its symbol, issuer and date: the context line says it
      var p = el('p', 'search-snippet');
      p.appendChild(marked(d.text, s.spans(d.text, matched), 240));
      li.appendChild(p);
    }
    return li;
  }

  /**
   * Results of query into list (an <ol>), count into status; shows up to limit, then a button
   * for more when more is given. Resolves to the number of results.
   */
  function render(query, list, status, limit, more) {
    return getSearcher().then(function (s) {
      return s.search(query).then(function (found) {
        var results = found.results, shown = 0;
        list.textContent = '';
        function show(n) {
          var batch = results.slice(shown, shown + n);
          shown += batch.length;
          return Promise.all(batch.map(function (r) { return s.doc(r.ref); })).then(function (docs) {
            docs.forEach(function (d, i) {
              var matched = {};
              Object.keys(batch[i].matchData.metadata).forEach(function (t) { matched[t] = true; });
              list.appendChild(resultItem(s, d, matched));
            });
            if (more) {
              more.hidden = shown >= results.length;
              more.textContent = 'Show ' + Math.min(limit, results.length - shown) + ' more results';
            }
          });
        }
        var n = results.length, q = query.trim();
        status.textContent = !found.words.length ? '' : n === 0 ? 'No results for “' + q + '”.'
          : (n === 1 ? '1 result' : n + ' results') + ' for “' + q + '”' +
            (found.any ? ' (no result has every word; these have some of them).' : '.');
        if (more) more.onclick = function () { show(limit); };
        return show(limit).then(function () { return n; });
      });
    }).catch(function (e) {
      status.textContent = 'Search could not load (' + e.message + ').';
      return 0;
    });
  }

  function keyboard(input, list, onEscape) {
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'ArrowDown') {
        var first = list.querySelector('a');
        if (first) { ev.preventDefault(); first.focus(); }
      } else if (ev.key === 'Escape') {
        onEscape();
      }
    });
    list.addEventListener('keydown', function (ev) {
      var links = Array.prototype.slice.call(list.querySelectorAll('a'));
      var i = links.indexOf(document.activeElement);
      if (i < 0) return;
      if (ev.key === 'ArrowDown' && i < links.length - 1) { ev.preventDefault(); links[i + 1].focus(); }
      else if (ev.key === 'ArrowUp') { ev.preventDefault(); (i > 0 ? links[i - 1] : input).focus(); }
      else if (ev.key === 'Home') { ev.preventDefault(); links[0].focus(); }
      else if (ev.key === 'End') { ev.preventDefault(); links[links.length - 1].focus(); }
      else if (ev.key === 'Escape') { ev.preventDefault(); input.focus(); onEscape(); }
    });
  }

  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  /** The header box: results as you type, in a panel under it; Enter goes to the search page. */
  function enhanceHeader(form) {
    var input = form.querySelector('input[name=q]');
    if (!input || form.getAttribute('data-enhanced')) return;
    form.setAttribute('data-enhanced', '1');
    var panel = el('div', 'search-panel'), status = el('p', 'search-status'), list = el('ol', 'search-results');
    panel.id = 'site_search_panel';
    panel.hidden = true;
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    list.setAttribute('aria-label', 'Search results');
    panel.appendChild(status);
    panel.appendChild(list);
    form.parentNode.insertBefore(panel, form.nextSibling);  // under the whole header (see CSS)
    input.setAttribute('aria-controls', panel.id);
    var seq = 0;
    function close() { panel.hidden = true; }
    var update = debounce(function () {
      var q = input.value, mine = ++seq;
      if (!q.trim()) { close(); return; }
      var tmpList = el('ol', 'search-results'), tmpStatus = el('p');
      tmpList.setAttribute('aria-label', 'Search results');
      render(q, tmpList, tmpStatus, 8, null).then(function () {
        if (mine !== seq) return;  // a newer query is on its way
        list.replaceWith(tmpList);
        list = tmpList;
        status.textContent = tmpStatus.textContent;
        panel.hidden = false;
      });
    }, 100);
    input.addEventListener('input', update);
    keyboard(input, panel, close);
    panel.addEventListener('click', function (ev) { if (ev.target.closest('a')) close(); });
    getSearcher().then(function (s) { return s.ready(); }).catch(function () {});  // the reader is about to search
    document.addEventListener('click', function (ev) {
      if (!form.contains(ev.target) && !panel.contains(ev.target)) close();
    });
    if (input.value.trim()) update();
  }

  /** The search page: ?q= is the query; results update as you type and the URL follows. */
  function enhancePage(page) {
    var form = page.querySelector('form'), input = page.querySelector('input[name=q]');
    var status = page.querySelector('[role=status]'), list = page.querySelector('ol'), more = page.querySelector('button.more');
    var nojs = document.getElementById('search_nojs');
    if (nojs) nojs.hidden = true;
    input.value = new URLSearchParams(location.search).get('q') || '';
    var seq = 0;
    var update = function () {
      var q = input.value, mine = ++seq;
      var url = q.trim() ? '?q=' + encodeURIComponent(q) : location.pathname;
      history.replaceState(null, '', url);
      document.title = (q.trim() ? q.trim() + ' — ' : '') + page.getAttribute('data-title');
      if (!q.trim()) { list.textContent = ''; status.textContent = ''; more.hidden = true; return; }
      var tmpList = el('ol', list.className), tmpStatus = el('p');
      render(q, tmpList, tmpStatus, 20, more).then(function () {
        if (mine !== seq) return;
        tmpList.id = list.id;
        list.replaceWith(tmpList);
        list = tmpList;
        status.textContent = tmpStatus.textContent;
      });
    };
    form.addEventListener('submit', function (ev) { ev.preventDefault(); update(); });
    input.addEventListener('input', debounce(update, 100));
    keyboard(input, page.querySelector('.search-page-results'), function () {});
    update();
  }

  global.ApparatusSearch = api;
  addStyle();
  Array.prototype.forEach.call(document.querySelectorAll('form.site-search'), enhanceHeader);
  var page = document.getElementById('search_page');
  if (page) enhancePage(page);
}(typeof self !== 'undefined' ? self : this));
