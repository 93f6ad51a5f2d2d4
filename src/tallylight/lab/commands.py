"""The subcommands of ``tallylight-lab``: one module each, with ``register(subparsers)``.

Adding a subcommand is one line here; the module is imported when the parser is
built, so keep heavy imports (pyarrow…) inside its ``run`` function.
"""

from __future__ import annotations

COMMAND_MODULES: tuple[str, ...] = (
    "tallylight.lab.keygen_cmd",
    "tallylight.lab.manifest_cmd",
    "tallylight.lab.open_cmd",
    "tallylight.lab.features_cmd",
    "tallylight.lab.withdraw_cmd",
    "tallylight.lab.task_cmd",
)
