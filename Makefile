# The README's commands. `make run` serves the app; `make test` runs every test.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
PYTHON ?= python3
# The JavaScript tools (Biome), from the npm registry at the versions package-lock.json pins.
NODE_STAMP := node_modules/.installed-$(shell cksum < package-lock.json | cut -d' ' -f1)

.PHONY: run test bench translations lint lint-js format-js clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

translations: $(STAMP)
	$(BIN)/healthwise languages compile >/dev/null

instance/secret_key:
	mkdir -p instance
	$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))' > $@
	chmod 600 $@

## Serve on http://127.0.0.1:5000 (HOST, PORT override) with gunicorn; SQLite in instance/.
run: $(STAMP) translations instance/secret_key
	$(BIN)/healthwise serve

## Every test: on SQLite and, when TEST_POSTGRES_URL is set, at the same time on PostgreSQL
## (its report, kept in .pytest-postgres.log, is printed after SQLite's).
test: lint translations
	@pg=""; if [ -n "$${TEST_POSTGRES_URL:-}" ]; then \
		TEST_DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/pytest -q -m "not browser" \
			-p no:cacheprovider > .pytest-postgres.log 2>&1 & pg=$$!; fi; \
	$(BIN)/pytest; sqlite=$$?; pgrc=0; \
	if [ -n "$$pg" ]; then wait $$pg; pgrc=$$?; \
		echo "== PostgreSQL (TEST_POSTGRES_URL)"; cat .pytest-postgres.log; fi; \
	exit $$(( sqlite || pgrc ))

## Benchmarks: print figures and ratios; they never fail a build.
bench: $(STAMP) translations
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || true; done

## Lint: lint-js first, then ruff and the import contract of the rooms (pyproject's [tool.importlinter]).
lint: $(STAMP) lint-js
	$(BIN)/ruff check healthwise tests benchmarks wsgi.py setup.py
	$(BIN)/lint-imports --no-cache

## The phone app's JavaScript: Biome's lint rules and formatting (biome.json); never writes.
lint-js: $(NODE_STAMP)
	node_modules/.bin/biome ci

## Format the JavaScript and apply Biome's safe fixes, in place.
format-js: $(NODE_STAMP)
	node_modules/.bin/biome check --write

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis
