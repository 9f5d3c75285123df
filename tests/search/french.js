// lunr-languages' lunr.fr in Node: node french.js < words.json
//
// Prints {stems: each word through stopWordFilter-fr, accentFold-fr and stemmer-fr (null for a stop
// word), stopWords: lunr.fr's stop word list, foldInput, fold: accentFold-fr of every Latin-1 and
// Latin Extended-A letter}.
'use strict';
const fs = require('fs');
const { lunr, REPO } = require('./lunr.js');

const pipeline = lunr.Pipeline.load(['stopWordFilter-fr', 'accentFold-fr', 'stemmer-fr']);
const words = JSON.parse(fs.readFileSync(0, 'utf8'));
let foldInput = '';
for (let cp = 0xc0; cp < 0x180; cp++) foldInput += String.fromCharCode(cp);
const path = require('path');
// (the list is in a closure: read it from lunr.fr.js; the pipeline must drop each)
const listed = fs.readFileSync(path.join(REPO, 'node_modules', 'lunr-languages', 'lunr.fr.js'), 'utf8')
  .split("lunr.fr.stopWordFilter = lunr.generateStopWordFilter('")[1].split("'")[0].split(' ');
process.stdout.write(JSON.stringify({
  stems: words.map((w) => pipeline.runString(w)[0] || null),
  stopWords: listed.filter((w) => pipeline.runString(w).length === 0),
  foldInput: foldInput,
  fold: lunr.fr.accentFoldTerm(foldInput),
}));
