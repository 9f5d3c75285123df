// lunr.js with lunr-languages' French registered, as the site loads them (search/lunr.min.js,
// search/lunr.stemmer.support.min.js, search/lunr.fr.min.js): for the other scripts in this folder.
'use strict';
const path = require('path');
const REPO = path.resolve(__dirname, '..', '..');
const lunr = require(path.join(REPO, 'node_modules', 'lunr'));
require(path.join(REPO, 'node_modules', 'lunr-languages', 'min', 'lunr.stemmer.support.min.js'))(lunr);
require(path.join(REPO, 'node_modules', 'lunr-languages', 'min', 'lunr.fr.min.js'))(lunr);
module.exports = { lunr, REPO, search: require(path.join(REPO, 'templates', 'static', 'search.js')) };
