// Text → words and terms in search.js, for comparison with apparatus/search.py: node tokens.js < strings.json
//
// Reads a JSON list of strings; prints, for each, [normalize, fold, words, queryWords, terms per
// language (en, fr, zh, ug)], the terms through lunr.js's and lunr.fr's own pipeline functions.
'use strict';
const fs = require('fs');
const { lunr, search } = require('./lunr.js');

const pipelines = { en: ['stopWordFilter', 'stemmer'], fr: ['stopWordFilter-fr', 'accentFold-fr', 'stemmer-fr'] };
const analysis = search.analyses(lunr, pipelines, ['en', 'fr', 'zh', 'ug']);
const strings = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = strings.map((s) => [search.normalize(s), search.fold(s), search.words(s).map((w) => [w[0], w[1]]),
  search.queryWords(s).map((w) => [w.script, w.word, w.wildcard]),
  ['en', 'fr', 'zh', 'ug'].map((lang) => search.terms(analysis, s, lang))]);
process.stdout.write(JSON.stringify(out));
