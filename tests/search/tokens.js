// Text → words in search.js, for comparison with apparatus/search.py: node tokens.js < strings.json
//
// Reads a JSON list of strings; prints, for each, [fold, indexTokens, queryWords, terms],
// where terms are the index tokens through lunr.js's own stopWordFilter and stemmer.
'use strict';
const fs = require('fs');
const path = require('path');
const REPO = path.resolve(__dirname, '..', '..');
const lunr = require(path.join(REPO, 'node_modules', 'lunr'));
const search = require(path.join(REPO, 'templates', 'static', 'search.js'));

const pipeline = lunr.Pipeline.load(['stopWordFilter', 'stemmer']);
const strings = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = strings.map((s) => {
  const tokens = search.indexTokens(s);
  return [search.fold(s), tokens,
    search.queryWords(s).map((w) => [w.term, w.wildcard]),
    tokens.map((t) => pipeline.runString(t)[0] || null)];
});
process.stdout.write(JSON.stringify(out));
