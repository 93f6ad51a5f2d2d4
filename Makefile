# The two commands of the README's Quick start: `make run` and `make test`.
# For developers: `make lint` (the gates CI runs first), `make test-fast` (no X server,
# nothing slow: the edit-test loop), `make screenshots` (refresh docs/screenshots).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: fuzz fuzz-ci run test test-fast lint screenshots system-deps-run system-deps-test bench clean catalogs \
	package package-test system-deps-package

run: system-deps-run $(VENV)/.installed
	$(VENV)/bin/tallylight

# The C2SP CCTV age vectors come from npm (cctv-age) into build/, never into the repo.
CCTV_DIR = build/cctv-age
test: system-deps-test $(VENV)/.installed-test
	$(VENV)/bin/lint-imports
	scripts/cctv-vectors.sh $(CCTV_DIR)
	TALLYLIGHT_CCTV_AGE_DIR=$(CCTV_DIR)/vectors $(PY) -m pytest --cov --cov-report=term $(PYTEST_ARGS)

# What needs no X server and is not marked slow (tests using the X server are marked
# x11 automatically); fewer Hypothesis examples. `make test` still runs everything.
# On every core (pytest-xdist); the CLI tests call main(argv) in-process; the widget
# tests of tests/ui run on Qt's offscreen platform (on Xvfb in `make test`). Bytecode is
# cached even where PYTHONDONTWRITEBYTECODE is set: without it every run re-rewrote every
# test module and every CLI subprocess recompiled the package (most of the lane's CPU time).
# The tests' temporary folders (each test's TALLYLIGHT_HOME) go on a RAM file system where
# there is one: the store syncs every sealed record and folder it writes, about 7,000
# fsync/fdatasync calls per run, which waited 20-30 s per worker on this machine's disk; on
# tmpfs a sync returns at once. Only the folders of failed tests are kept. `make test` keeps
# the disk's /tmp, so there the syncs meet a real disk. `make test-fast FAST_TMPDIR=` opts out.
FAST_TMPDIR ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && ! grep -qs ' /dev/shm [^ ]* [^ ]*noexec' /proc/mounts && echo /dev/shm)
test-fast: $(VENV)/.installed-test
	env -u DISPLAY -u WAYLAND_DISPLAY -u PYTHONDONTWRITEBYTECODE HYPOTHESIS_PROFILE=fast QT_QPA_PLATFORM=offscreen \
	  $(if $(FAST_TMPDIR),TMPDIR=$(FAST_TMPDIR)) \
	  $(PY) -m pytest -n auto -m "not x11 and not slow" -q -o tmp_path_retention_policy=failed $(PYTEST_ARGS)

# ruff (lint and format), mypy (strict on the package, default strictness on the tests: the
# folders' conftest.py files share a module name, so each is checked in a run of its own),
# the import contracts, actionlint on the release workflow
lint: system-deps-run $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --config-file tests/mypy.ini
	for c in tests/*/conftest.py; do $(VENV)/bin/mypy --config-file tests/mypy.ini "$$c" || exit 1; done
	$(VENV)/bin/lint-imports
	$(VENV)/bin/actionlint .github/workflows/*.yml

# Tests write screenshots under build/screenshots (never into the tracked tree); this
# runs the tests that take them and copies the results over docs/screenshots, and fails
# if a picture the README shows was not taken.
SCREENSHOT_TESTS = tests/ui/test_screenshots.py tests/ui/test_review_screenshots.py \
	tests/ui/test_review_window.py tests/ui/test_live_view.py tests/ui/test_share_dialog.py \
	tests/ui/test_study_dialogs.py tests/ui/test_consent_pages.py

screenshots: system-deps-test $(VENV)/.installed-test
	rm -rf build/screenshots
	TALLYLIGHT_SCREENSHOTS=build/screenshots $(PY) -m pytest $(SCREENSHOT_TESTS) -q $(PYTEST_ARGS)
	@for f in docs/screenshots/*.png; do n=$$(basename "$$f"); \
	  if [ -f "build/screenshots/$$n" ]; then cp "build/screenshots/$$n" "$$f"; \
	  else echo "screenshots: no test took $$n (kept as it is)"; fi; done
	@# the consent pages in German and in the pseudo-locale (40 % longer, right to left), at 200 %
	mkdir -p docs/screenshots/languages
	cp build/screenshots/consent/consent-*@2x-de.png build/screenshots/consent/consent-*@2x-en-pseudo.png \
	  docs/screenshots/languages/
	@for n in $$(grep -o 'screenshots/[a-z0-9-]*\.png' README.md | sort -u); do \
	  test -f "build/$$n" || { echo "screenshots: the README shows $$n, which no test took"; exit 1; }; done

# The message catalogs (src/tallylight/locale): new strings into every .po, the pseudo-locale
# regenerated, every .po compiled to the .mo the app reads (both are committed). After it,
# translate the new empty msgstr lines in de/…/tallylight.po and run it again.
catalogs: $(VENV)/.installed-test
	$(PY) scripts/catalogs.py

# The participant's app, frozen (PyInstaller onedir, packaging/tallylight.spec) into
# dist/tallylight/, as dist/tallylight_<version>_amd64.deb (lintian-checked), the AppImage's
# folder build/appimage/Tallylight.AppDir (the release workflow makes the image), and the
# researcher's wheel and sdist (twine-checked). Built under Xvfb so pynput's hook imports.
package: system-deps-package $(VENV)/.installed-package
	rm -rf build/pyi dist/tallylight dist/tallylight-*.whl dist/tallylight-*.tar.gz dist/tallylight_*.deb
	xvfb-run -a $(VENV)/bin/pyinstaller --noconfirm --log-level WARN --workpath build/pyi --distpath dist packaging/tallylight.spec
	packaging/linux/build-deb.sh $$($(PY) -c 'import tallylight; print(tallylight.__version__)')
	packaging/linux/build-appimage.sh $$($(PY) -c 'import tallylight; print(tallylight.__version__)')
	lintian --fail-on error,warning dist/tallylight_*_amd64.deb
	$(PY) -m build -o dist .
	$(VENV)/bin/twine check dist/tallylight-*.whl dist/tallylight-*.tar.gz

# CI: the frozen app's self-test, a frozen recording, its tray light in a real tray, the
# wheel's self-test in a fresh venv, and (as root) the .deb installed with apt-get, started from
# its menu entry and a session recorded through the tray (tests/packaging, collected only here)
package-test: package system-deps-test $(VENV)/.installed-test
	TALLYLIGHT_PACKAGE_TEST=1 $(PY) -m pytest tests/packaging -q $(PYTEST_ARGS)

system-deps-package:
	@scripts/system-deps.sh package

system-deps-run:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tallylight needs Python 3.11 or newer (set PYTHON=python3.12 for another one).")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.created pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-package: $(VENV)/.created pyproject.toml
	$(PY) -m pip install -q -e '.[package,test]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-test

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis

# Coverage-guided fuzzing (atheris) of the parsers that read strangers' bytes: the study
# manifest, the bundle opener, the session segment reader, safejson, the control
# protocol and withdrawal requests. FUZZ_SECONDS per target (CI: 30). New inputs go to build/fuzz/, seeds are
# fuzz/corpus/ (regenerate with fuzz/make_seeds.py); a finding fails the target.
FUZZ_TARGETS ?= manifest bundle segment safejson protocol withdrawal
FUZZ_SECONDS ?= 600
fuzz: $(VENV)/.installed-test
	$(PY) -m pip install -q 'atheris>=2.3'
	@mkdir -p build/fuzz
	@for t in $(FUZZ_TARGETS); do echo "fuzz: $$t ($(FUZZ_SECONDS) s)"; \
	  $(PY) fuzz/run.py $$t $(FUZZ_SECONDS) > build/fuzz/$$t.log 2>&1; rc=$$?; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' build/fuzz/$$t.log; \
	  if [ $$rc -ne 0 ]; then tail -40 build/fuzz/$$t.log; exit 1; fi; done

fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=30
