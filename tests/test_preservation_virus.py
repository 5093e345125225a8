"""The virus scan (AQ-01) on a real ClamAV daemon (scripts/services/clamd.sh,
loaded with an EICAR test signature): a finding fails the check and sends the
record to review at filing; no daemon configured is reported as 未检测."""

from __future__ import annotations

import pytest
import services
from dangan.preservation.virus import Scanner
from preservation_records import stored_record

from dangan.archive import Archive
from dangan.config import Settings

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@pytest.fixture(scope="module")
def clamd_env() -> dict[str, str]:
    return services.start("clamd")


def test_scanner_against_clamd(clamd_env):
    scanner = Scanner(clamd_env["DANGAN_CLAMD"])
    assert "ClamAV" in (scanner.version() or "")
    assert scanner.scan([b"%PDF-1.4 harmless\n"]) == ("pass", "ClamAV 扫描未发现病毒。")
    outcome, evidence = scanner.scan([b"prefix ", EICAR, b" suffix"])
    assert outcome == "fail" and "Dangan.Test.EICAR" in evidence
    assert Scanner(None).scan([EICAR])[0] == "not_run"
    assert Scanner("unix:/nonexistent/clamd.sock").scan([EICAR])[0] == "warning"


def test_infected_original_goes_to_review_at_filing(tmp_path, clamd_env):
    env = {"DANGAN_HOME": str(tmp_path / "home"), "DANGAN_VERAPDF": "none", **clamd_env}
    with Archive.open(Settings.from_env(env)) as archive:
        clean = stored_record(archive, "v1")
        assert clean.status == "filed", clean.review_reasons
        infected = stored_record(archive, "v2", original_tail=b"\n" + EICAR + b"\n")
        assert infected.status == "review"
        (reason,) = [r for r in infected.review_reasons if "AQ-01" in r]
        assert "Dangan.Test.EICAR" in reason and "original.pdf" in reason
