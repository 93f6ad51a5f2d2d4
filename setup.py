"""Only what pyproject.toml cannot say: the top-level resources/ folder goes into the wheel
as the package data ``tallylight._resources`` (found there by tallylight.resources)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("src"), "tallylight._resources"],
    package_dir={"": "src", "tallylight._resources": "resources"},
    # the compiled message catalogs (tallylight.i18n reads them beside the package)
    package_data={"tallylight": ["py.typed", "locale/*/LC_MESSAGES/*.mo"], "tallylight._resources": ["**/*"]},
)
