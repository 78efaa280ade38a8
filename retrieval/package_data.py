"""The data newsbot ships: `prompts/` and `seeds/`.

Both stay top-level folders of the repository and install inside the `retrieval` package
(`retrieval/prompts`, `retrieval/seeds`: see `package-dir` in pyproject.toml), so a wheel works
from any directory. An installed package finds them with importlib.resources; a source checkout
(editable install, tests) reads the top-level folders.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def data_folder(name: str) -> Path:
    """The folder of shipped data called `name` ("prompts" or "seeds")."""
    installed = importlib.resources.files("retrieval") / name
    if installed.is_dir():
        return Path(str(installed))  # wheels install as plain files, never zipped
    return CHECKOUT / name
