"""The frozen-app tests run only from `make package-test`, after `make package` built
dist/tallylight/ (TALLYLIGHT_PACKAGE_TEST=1): `make test` has no frozen build to test."""

import os

if not os.environ.get("TALLYLIGHT_PACKAGE_TEST"):
    collect_ignore_glob = ["test_*.py"]
