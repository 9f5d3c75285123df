// Whole vs split, in lunr.js: node compare.js SITE_DIR WHOLE_JSON QUERIES_JSON
//
// Loads the whole index (lunr's own format, written by apparatus.search.serialize) with
// lunr.Index.load, and the split index of the built site (SITE_DIR/search/) through
// templates/static/search.js's Searcher, reading the data files from disk (lunr.fr registered as
// the site's search/lunr.fr.min.js registers it). For every query prints the planned lunr queries
// (search.js's plan), the refs and scores of apparatus search (every word required, else any word)
// on the whole index, on a fresh split searcher (only the shards this query needs) and on one split
// searcher shared by all queries in turn, plus the AND-only and OR-only runs on the whole index, as
// JSON on stdout.
'use strict';
const fs = require('fs');
const path = require('path');
const { lunr, search } = require('./lunr.js');

const [siteDir, wholePath, queriesPath] = process.argv.slice(2);
const whole = lunr.Index.load(JSON.parse(fs.readFileSync(wholePath, 'utf8')));
const queries = JSON.parse(fs.readFileSync(queriesPath, 'utf8'));

function loader(fetched) {
  return function (name) {
    const text = fs.readFileSync(path.join(siteDir, 'search', name + '.js'), 'utf8');
    const prefix = 'ApparatusSearch.data(' + JSON.stringify(name) + ',';
    if (!text.startsWith(prefix) || !text.endsWith(');\n')) throw new Error('bad data file ' + name);
    if (fetched) fetched.push(name);
    return Promise.resolve(JSON.parse(text.slice(prefix.length, -3)));
  };
}

const pairs = (results) => results.map((r) => [r.ref, r.score]);

(async () => {
  const shared = new search.Searcher(lunr, loader(null));
  const manifest = await loader(null)('manifest');
  const analysis = search.analyses(lunr, manifest.pipelines, manifest.languages);
  const out = [];
  for (const q of queries) {
    const words = search.queryWords(q);
    const runs = search.plan(analysis, words);
    const found = search.find(lunr, whole, runs, words);
    const fetched = [];
    const fresh = await new search.Searcher(lunr, loader(fetched)).search(q);
    const sharedFound = await shared.search(q);
    out.push({
      query: q, runs: runs,
      whole: pairs(found.results), any: found.any,
      and: pairs(search.run(lunr, whole, runs, true)), or: pairs(search.run(lunr, whole, runs, false)),
      fresh: pairs(fresh.results), freshAny: fresh.any, fetched: fetched,
      shared: pairs(sharedFound.results),
    });
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
