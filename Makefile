# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist: one worker per core; tests of one xdist_group share a worker.
# `make test PYTEST_WORKERS=0` runs everything in one process.
PYTEST_WORKERS ?= auto

.PHONY: run test install lint clean translations

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The gettext catalogues: compiled here (a fresh clone has only the .po files).
CATALOGUES := sesamlike/translations
POT := $(CATALOGUES)/messages.pot
MO := $(patsubst %.po,%.mo,$(wildcard $(CATALOGUES)/*/LC_MESSAGES/messages.po))

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(STAMP) $(MO)

# Extract the Swedish source text from code and templates, add new strings to each
# catalogue (fill in the English in en/LC_MESSAGES/messages.po), compile.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k lazy_ngettext:1,2 -k N_ \
	  --no-location --sort-output --no-wrap --project Sesamlike -o $(POT) sesamlike
	$(BIN)/pybabel update -i $(POT) -d $(CATALOGUES) --no-wrap --ignore-obsolete \
	  --ignore-pot-creation-date
	rm -f $(POT)
	$(MAKE) $(MO)

run: install
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app demo load --if-empty
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile -p 5000

test: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) instance .pytest_cache
