"""Ready mapping files shipped with stisync, for sources whose format is a standard.

- `oai_dc`: Dublin Core records from an OAI-PMH repository (the `oaipmh` connector).
- `openaire_cerif_project`: OpenAIRE CERIF Projects from a CRIS (`oaipmh` with `cerif = true`).

Each file fills what its format cannot carry with placeholders marked REVIEW: an admin copies
the file, sets those lines, and checks the result with `stisync check SOURCE`.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def ready_mappings() -> tuple[str, ...]:
    """The names of the ready mappings, sorted."""
    return tuple(sorted(p.stem for p in _HERE.glob("*.toml")))


def ready_mapping_path(name: str) -> Path:
    """The file of the ready mapping `name` ("oai_dc", or "oai_dc.toml"); LookupError naming
    the known ones when there is none of that name."""
    stem = name.removesuffix(".toml")
    path = _HERE / f"{stem}.toml"
    if not stem or "/" in stem or "\\" in stem or not path.is_file():
        known = ", ".join(ready_mappings())
        raise LookupError(f"no ready mapping {name!r}; the ready mappings are: {known}")
    return path


__all__ = ["ready_mapping_path", "ready_mappings"]
