"""``tallylight-lab``: the researcher's command line (keys, manifests; bundles and features).

Never imports the participant's capture, recorder or UI (an import-linter
contract in pyproject.toml holds it to that).
"""
