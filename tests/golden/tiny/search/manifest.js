ApparatusSearch.data("manifest",{"version":"2.3.9","fields":["title","symbols","text"],"pipeline":["stopWordFilter","stemmer"],"documents":11,"shards":[""],"fragments":[[0,8,0],[1,19,1],[9,17,2]]});
