"""OAI-PMH through the whole sync: a real OAI-PMH server (package `oaipmh`) on loopback, a
config naming a ready mapping (oai_dc, or the OpenAIRE CERIF Project one), `run_source` and the
national simulator; assertions on what the simulator stored and how many writes reached it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.runner import RunResult, run_source
from sync.state.models import RunStatus
from tests.oai_fixtures import (
    CERIF_FORMAT,
    HOST,
    T0,
    Repository,
    identifier,
    make_repository,
    person,
    serving,
)
from tests.sim_fixtures import RunningSim, running_sim

pytestmark = pytest.mark.slow

SOURCE = "kho"
DELETED = (4, 17, 29)
COUNT = 40  # 6 pages of 7

CONFIG = """
province = "52"
state_url = "{state_url}"
log_dir = "logs"

[national]
url = "{national_url}"
client_id = "{client_id}"
client_secret_file = "national-secret"
batch_size = 10

[sources.kho]
kind = "oaipmh"
mapping = "{mapping}"
deletions = "{deletions}"
[sources.kho.connector]
url = "{oai_url}"
retries = 1
timeout = 10
{connector}
"""
DC_SOURCE = {"mapping": "ready:oai_dc", "connector": 'set = "nhiem-vu"'}
CERIF_SOURCE = {
    "mapping": "ready:openaire_cerif_project",
    "connector": 'set = "openaire_cris_projects"\nmetadata_prefix = "oai_cerif_openaire"\n'
    "cerif = true",
}


def local_id(n: int) -> str:
    """The national local_id of record n: the ready mapping's namespace and the OAI id."""
    return f"oai-dc:{identifier(n)}"


@dataclass
class Harvest:
    """A province syncing one OAI-PMH repository to the simulator."""

    repo: Repository
    sim: RunningSim
    config: Path

    def run(self) -> RunResult:
        return run_source(str(self.config), SOURCE, "manual")

    def stored(self) -> dict[str, Any]:
        """local_id -> the record the simulator holds (live ones only)."""
        return {k: t.record for k, t in self.sim.tasks().items()}

    def writes(self) -> dict[str, tuple[int, int, int]]:
        """local_id -> (created, updated, unchanged) writes that reached the simulator."""
        counts = self.sim.stats()["writes"].get(self.sim.province, {})
        return {k: (c["created"], c["updated"], c["unchanged"]) for k, c in counts.items()}

    def deletes(self) -> int:
        """DELETEs the simulator carried out."""
        routes = self.sim.stats()["requests"]["by_route"]
        return sum(int(by.get("204", 0)) for r, by in routes.items() if r.startswith("DELETE "))

    def list_requests(self) -> list[dict[str, str]]:
        return [q for q in self.repo.requests if q.get("verb") == "ListRecords"]


@contextmanager
def harvest_env(
    tmp_path: Path,
    state_url: str,
    repo: Repository,
    deletions: str = "report",
    source: dict[str, str] = DC_SOURCE,
) -> Iterator[Harvest]:
    folder = tmp_path / "province"
    folder.mkdir()
    with serving(repo) as oai_url, running_sim(tmp_path / "national") as sim:
        (folder / "national-secret").write_text(sim.client_secret, encoding="utf-8")
        config = folder / "stisync.toml"
        config.write_text(
            CONFIG.format(
                state_url=state_url,
                national_url=sim.url,
                client_id=sim.client_id,
                oai_url=oai_url,
                deletions=deletions,
                **source,
            ),
            encoding="utf-8",
        )
        yield Harvest(repo, sim, config)


def live_ids(repo: Repository) -> set[str]:
    return {f"oai-dc:{i}" for i in repo.live()}


@pytest.mark.parametrize("deletions", ["report", "propagate"])
def test_the_first_run_sends_every_record_once_and_the_next_only_the_changes(
    tmp_path: Path, state_url: str, deletions: str
) -> None:
    repo = make_repository(COUNT, deleted=DELETED)
    with harvest_env(tmp_path, state_url, repo, deletions) as h:
        first = h.run()
        assert (first.status, first.error) == (RunStatus.SUCCEEDED, None)
        pages = h.list_requests()
        assert len(pages) == 6 and all("resumptionToken" in q for q in pages[1:])
        # Every live record, created once; the records deleted before the first run never
        # reached the national side, so there is nothing to report or withdraw.
        assert set(h.stored()) == live_ids(repo) and len(h.stored()) == COUNT - len(DELETED)
        assert set(h.writes().values()) == {(1, 0, 0)}
        assert (first.counts["created"], first.counts["gone"], h.deletes()) == (37, 0, 0)
        assert h.stored()[local_id(1)]["title"] == "Nhiệm vụ số 1"
        assert h.stored()[local_id(1)]["principal_investigator"] == {
            "full_name": person(1),
            "degree": "TS",
        }

        before = h.writes()
        later = T0 + timedelta(days=3)
        repo.put(41, later)  # added
        repo.put(7, later + timedelta(minutes=1), "Nhiệm vụ số 7 (đã sửa tên)")  # changed
        repo.delete(12, later + timedelta(minutes=2))  # deleted
        repo.requests.clear()
        second = h.run()
        assert second.status is RunStatus.SUCCEEDED
        changed = {k: v for k, v in h.writes().items() if before.get(k) != v}
        assert changed == {local_id(41): (1, 0, 0), local_id(7): (1, 1, 0)}
        assert h.stored()[local_id(7)]["title"] == "Nhiệm vụ số 7 (đã sửa tên)"
        # Only what changed since the last run was asked for (from its cursor, less the
        # overlap), not the whole repository again.
        assert [q.get("from") for q in h.list_requests()] == ["2025-01-02T23:00:00Z"]
        if deletions == "report":
            assert (second.counts["gone"], second.counts["deleted"], h.deletes()) == (1, 0, 0)
            assert local_id(12) in h.stored()
        else:
            assert (second.counts["deleted"], h.deletes()) == (1, 1)
            assert local_id(12) not in h.stored()
        assert set(h.stored()) == (
            live_ids(repo) | ({local_id(12)} if deletions == "report" else set())
        )

        # Nothing changed at the server: nothing is sent, and the deletion is not repeated.
        after = h.writes()
        third = h.run()
        assert third.status is RunStatus.SUCCEEDED
        assert (third.counts["created"], third.counts["updated"]) == (0, 0)
        assert (third.counts["gone"], third.counts["deleted"]) == (0, 0)
        assert h.writes() == after and h.deletes() == (1 if deletions == "propagate" else 0)


def test_a_malformed_page_fails_the_run_and_the_retry_sends_each_record_once(
    tmp_path: Path,
) -> None:
    repo = make_repository(COUNT, deleted=DELETED)
    repo.break_page_once(3)
    with harvest_env(tmp_path, f"sqlite:///{tmp_path / 'state.sqlite'}", repo) as h:
        failed = h.run()
        assert failed.status is RunStatus.FAILED and repo.broken == [3]
        assert failed.error is not None
        assert failed.error.startswith(f"source: {SOURCE}: http://")
        assert "(page 3): the answer is not well-formed XML" in failed.error
        # The records of the two pages before the broken one were delivered all the same.
        assert set(h.stored()) == {local_id(n) for n in range(1, 15) if n not in DELETED}

        retried = h.run()
        assert (retried.status, retried.error) == (RunStatus.SUCCEEDED, None)
        assert set(h.stored()) == live_ids(repo)
        # Each record created exactly once over both runs; none sent a second time.
        assert h.writes() == {k: (1, 0, 0) for k in live_ids(repo)}
        assert retried.counts["unchanged"] == 13 and retried.counts["created"] == 24
        # The retry read the list from its start: the failed run did not move the cursor.
        assert [q.get("from") for q in h.list_requests() if "resumptionToken" not in q] == [
            None,
            None,
        ]


CERIF = "https://www.openaire.eu/cerif-profile/1.2/"
ORG_UNITS = {1: "Viện Khoa học Nông nghiệp tỉnh", 2: "Trường Đại học Kỹ thuật tỉnh"}


def cerif_project(n: int, title: str) -> str:
    """A Project naming its coordinator by id only, as a CRIS publishes it."""
    return f"""<Project xmlns="{CERIF}" id="Projects/{n}">
      <Acronym>ĐTCT.2024-{n:02d}</Acronym>
      <Title xml:lang="vi">{title}</Title>
      <StartDate>2024-01-01</StartDate>
      <EndDate>2025-12-31</EndDate>
      <Consortium><Coordinator><OrgUnit id="OrgUnits/{n % 2 + 1}"/></Coordinator></Consortium>
      <Team><PrincipalInvestigator><DisplayName>TS. {person(n)}</DisplayName>
      </PrincipalInvestigator></Team>
    </Project>"""


def cerif_repository() -> Repository:
    """A CRIS: five Projects over three pages, and the OrgUnits they name in their own set."""
    repo = Repository(page_size=2, metadata_format=CERIF_FORMAT)
    for n, name in ORG_UNITS.items():
        org = f'<OrgUnit xmlns="{CERIF}" id="OrgUnits/{n}"><Name xml:lang="vi">{name}</Name>'
        org += "</OrgUnit>"
        repo.put_xml(f"oai:{HOST}:OrgUnits/{n}", org, T0, ["openaire_cris_orgunits"])
    for n in range(1, 6):
        repo.put_xml(
            f"oai:{HOST}:Projects/{n}",
            cerif_project(n, f"Dự án số {n}"),
            T0 + timedelta(hours=n),
            ["openaire_cris_projects"],
        )
    return repo


def test_cerif_projects_sync_with_the_ready_mapping_and_their_coordinators_resolved(
    tmp_path: Path,
) -> None:
    repo = cerif_repository()
    state = f"sqlite:///{tmp_path / 'state.sqlite'}"
    with harvest_env(tmp_path, state, repo, source=CERIF_SOURCE) as h:
        first = h.run()
        assert (first.status, first.error) == (RunStatus.SUCCEEDED, None)
        stored = h.stored()
        ids = {f"cerif:oai:{HOST}:Projects/{n}" for n in range(1, 6)}
        assert set(stored) == ids and set(h.writes().values()) == {(1, 0, 0)}
        one = stored[f"cerif:oai:{HOST}:Projects/1"]
        assert (one["title"], one["task_code"]) == ("Dự án số 1", "ĐTCT.2024-01")
        assert one["host_organization"] == {"name": ORG_UNITS[2]}
        assert stored[f"cerif:oai:{HOST}:Projects/2"]["host_organization"] == {"name": ORG_UNITS[1]}
        assert one["principal_investigator"] == {"full_name": person(1), "degree": "TS"}
        # The names came from the CRIS's OrgUnits set, asked for once the Projects named them.
        asked = [q.get("set") for q in h.list_requests() if "resumptionToken" not in q]
        assert asked == ["openaire_cris_projects", "openaire_cris_orgunits"]

        repo.put_xml(
            f"oai:{HOST}:Projects/3",
            cerif_project(3, "Dự án số 3 (đã sửa tên)"),
            T0 + timedelta(days=2),
            ["openaire_cris_projects"],
        )
        before = h.writes()
        second = h.run()
        assert second.status is RunStatus.SUCCEEDED
        changed = {k: v for k, v in h.writes().items() if before.get(k) != v}
        assert changed == {f"cerif:oai:{HOST}:Projects/3": (1, 1, 0)}
        assert h.stored()[f"cerif:oai:{HOST}:Projects/3"]["title"] == "Dự án số 3 (đã sửa tên)"
