# Apparatus — the two commands a newcomer needs: `make site` (or `make serve`) and `make test`.
# Every target sets up what it needs first; `make setup` is idempotent.

PY      := .venv/bin/python
STAMP   := .venv/.setup-stamp
NPMSTAMP := node_modules/.setup-stamp

.PHONY: setup site serve check test lint bench clean

setup: $(STAMP) $(NPMSTAMP)

$(STAMP): pyproject.toml apparatus/__init__.py  # (an editable install records whether the package has one)
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(PY) -m compileall -q apparatus
	touch $(STAMP)

# --ignore-scripts: vnu-jar ships its jar; its postinstall would try to download a Java runtime.
$(NPMSTAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(NPMSTAMP)

site: setup
	$(PY) build.py build
	@echo "Open _site/index.html in a browser (or: python3 -m http.server -d _site)."

serve: setup
	$(PY) build.py serve

check: setup
	$(PY) build.py check

test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check apparatus tests bench build.py
	$(PY) -m mypy

bench: setup
	$(PY) bench/run.py --sizes 1000,10000 --runs 5 --out build.json -- --no-search
	$(PY) bench/run.py --sizes 1000,10000 --runs 3 --out build-search.json
	$(PY) bench/serve_bench.py --sizes 1000,10000 --edits 20
	$(PY) bench/search_bench.py --sizes 1000,10000 --runs 3
	$(PY) bench/stages.py --articles 1000 --runs 7
	$(PY) bench/missing_quote.py --words 20000 --quote-words 2000 --runs 5

clean:
	rm -rf _site _bench .pytest_cache
