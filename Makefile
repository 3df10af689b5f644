# The README's commands. `make run` serves the app; `make test` runs every test.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
PYTHON ?= python3

.PHONY: run test bench translations lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/healthwise languages compile >/dev/null

instance/secret_key:
	mkdir -p instance
	$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))' > $@
	chmod 600 $@

## Serve on http://127.0.0.1:5000 (HOST, PORT override) with gunicorn; SQLite in instance/.
run: $(STAMP) translations instance/secret_key
	$(BIN)/healthwise serve

## Every test: on SQLite, then again on PostgreSQL when TEST_POSTGRES_URL is set.
test: lint translations
	$(BIN)/pytest
	if [ -n "$${TEST_POSTGRES_URL:-}" ]; then \
		TEST_DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/pytest -m "not browser" ; fi

## Benchmarks: print figures and ratios; they never fail a build.
bench: $(STAMP) translations
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || true; done

## Lint: ruff, and the import contract of the rooms (pyproject's [tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check healthwise tests benchmarks wsgi.py
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
