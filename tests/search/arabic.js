// Uyghur letters through lunr-languages' lunr.ar trimmer and through search.js: node arabic.js < letters.json
'use strict';
const fs = require('fs');
const path = require('path');
const { lunr, search, REPO } = require('./lunr.js');
require(path.join(REPO, 'node_modules', 'lunr-languages', 'lunr.ar.js'))(lunr);

const letters = JSON.parse(fs.readFileSync(0, 'utf8'));
const trimmer = lunr.Pipeline.load(['trimmer-ar']);
const analysis = search.analyses(lunr, { en: ['stopWordFilter', 'stemmer'], fr: [] }, ['ug']);
process.stdout.write(JSON.stringify({
  lunr_ar_trimmer: letters.map((l) => trimmer.runString(l)[0]),
  apparatus: letters.map((l) => search.terms(analysis, l, 'ug')),
}));
