"""The preservation tables, read and written through catalog/stores/preservation.py;
results come back as this room's CheckResult."""

from __future__ import annotations

from dangan.catalog.stores.preservation import PreservationRows
from dangan.preservation.items import CheckResult


class PreservationStore(PreservationRows):
    def results(self, run_id: int) -> list[CheckResult]:
        """A run's results other than passes, in order."""
        return [CheckResult(*row) for row in self.result_rows(run_id)]
