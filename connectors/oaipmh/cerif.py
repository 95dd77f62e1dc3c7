"""OpenAIRE CERIF Projects, with the OrgUnits, Persons and Fundings they name by id inlined.

OpenAIRE Guidelines for CRIS Managers 1.1 and 1.2: inlined, the names are where a mapping's
XPaths can reach them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from copy import deepcopy

from lxml import etree

logger = logging.getLogger(__name__)

CURRENT = "https://www.openaire.eu/cerif-profile/1.2/"
# Profile namespaces carry their version; vocabularies live under .../cerif-profile/vocab/.
_PROFILE = re.compile(r"https://www\.openaire\.eu/cerif-profile/(\d+(?:\.\d+)*)/")

# kind -> (the OpenAIRE set that lists them, the children only a full description has)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "OrgUnit": ("openaire_cris_orgunits", ("Name",)),
    "Person": ("openaire_cris_persons", ("PersonName",)),
    "Funding": ("openaire_cris_funding", ("Name", "Acronym", "Amount")),
}
# A Person points to OrgUnits (Affiliation), an OrgUnit to its parent: two levels are enough
# to reach every name a Project's mapping reads, and bound the work on cyclic references.
_DEPTH = 3


def profile_version(element: etree._Element) -> str | None:
    """"1.2" for an element of a CERIF profile namespace, else None."""
    m = _PROFILE.fullmatch(etree.QName(element).namespace or "")
    return m[1] if m else None


def is_project(element: etree._Element | None) -> bool:
    return (element is not None and profile_version(element) is not None
            and etree.QName(element).localname == "Project")


class Entities:
    """The OrgUnits, Persons and Fundings known in one run, by kind and id.

    They come from the pages harvested (records embedded in the same list) and, the first
    time a reference cannot be resolved, from the repository's OpenAIRE set of that kind,
    which `load_set` harvests whole.
    """

    def __init__(self, source: str, load_set: Callable[[str], Iterable[etree._Element]]):
        self.source = source
        self._load_set = load_set
        self._known: dict[tuple[str, str], etree._Element] = {}
        self._loaded: set[str] = set()

    def add(self, element: etree._Element | None) -> None:
        """Remember a record's metadata if it is a full description of a CERIF entity."""
        if element is None or profile_version(element) is None:
            return
        kind = etree.QName(element).localname
        ident = element.get("id")
        if kind in KINDS and ident and not _is_reference(element, kind):
            # A copy: the element alone, not the whole page it would keep alive.
            self._known[(kind, ident)] = to_current(element)

    def inline(self, project: etree._Element, record_id: str) -> etree._Element:
        """A copy of `project` in the current profile's namespace, each reference replaced by
        the entity it names. References that stay unresolved are logged, not fatal: the
        mapping then reports the names it cannot find."""
        out = to_current(project)
        for _ in range(_DEPTH):
            refs = self._references(out)
            done = [ref for ref in refs if self._fill(ref)]
            if not done:
                break
        left = sorted({f"{etree.QName(r).localname} {r.get('id')}" for r in self._references(out)})
        if left:
            logger.warning("%s: Project %s refers to %s, found neither in the harvest nor in "
                           "the repository's OpenAIRE sets", self.source, record_id,
                           ", ".join(left))
        return out

    def _references(self, root: etree._Element) -> list[etree._Element]:
        return [e for e in root.iter() if e is not root and isinstance(e.tag, str)
                and profile_version(e) is not None and etree.QName(e).localname in KINDS
                and e.get("id") and _is_reference(e, etree.QName(e).localname)]

    def _fill(self, ref: etree._Element) -> bool:
        kind = etree.QName(ref).localname
        full = self._lookup(kind, str(ref.get("id")))
        if full is None:
            return False
        for child in list(ref):
            ref.remove(child)
        ref.text = full.text
        for child in full:
            ref.append(deepcopy(child))
        return True

    def _lookup(self, kind: str, ident: str) -> etree._Element | None:
        found = self._known.get((kind, ident))
        set_spec = KINDS[kind][0]
        if found is None and set_spec not in self._loaded:
            self._loaded.add(set_spec)
            count = len(self._known)
            for element in self._load_set(set_spec):
                self.add(element)
            logger.info("%s: read %s CERIF entities from set %s to resolve references",
                        self.source, len(self._known) - count, set_spec)
            found = self._known.get((kind, ident))
        return found


def to_current(element: etree._Element) -> etree._Element:
    """A copy of `element` with every profile namespace (1.0, 1.1) read as 1.2: the elements
    a mapping reads have the same names in each, so one mapping serves every version."""
    copy = deepcopy(element)
    for e in copy.iter():
        if isinstance(e.tag, str) and profile_version(e) is not None:
            e.tag = f"{{{CURRENT}}}{etree.QName(e).localname}"
    # A fresh root declares the namespace as the default, so the payload reads as published.
    root = etree.Element(copy.tag, attrib=dict(copy.attrib), nsmap={None: CURRENT})
    root.text = copy.text
    root.extend(list(copy))
    etree.cleanup_namespaces(root)
    return root


def _is_reference(element: etree._Element, kind: str) -> bool:
    names = KINDS[kind][1]
    return not any(etree.QName(c).localname in names for c in element
                   if isinstance(c.tag, str))
