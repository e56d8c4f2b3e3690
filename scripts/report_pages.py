"""Page images of the 2024 example plan's committee report, for the README.

    DEBUG=true .venv/bin/python scripts/report_pages.py      # make screenshots runs it

Loads the example plans into a throwaway SQLite database, sets up the example report
(cover and narrative from the November 2024 scrutiny report, demo/example_report.py),
renders it with the same service as the Celery job, and converts chosen pages with
pdftoppm into docs/screenshots/report-page-N.png: the cover, the progress summary, the
first page of each later part (page 5: the closing sections of the council's template)
and the RAG criteria.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
# The page that opens each part of the report, by the words it starts with.
PARTS = (
    "Progress against the action plan",
    "Exceptions: red, amber and slipped items",
    "Outcome measures and performance",
    "APPENDIX 2A: THE ACTION PLAN",
    "APPENDIX 2C: RAG CRITERIA",
)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="report-pages-"))
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {"DEBUG": "true", "VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "improvement.settings"}
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from pypdf import PdfReader

    from reporting.models import CommitteeReport
    from reporting.services import report_pdf

    call_command("migrate", verbosity=0)
    call_command("load_examples", verbosity=0)  # sets up the example report too
    report = CommitteeReport.objects.get(plan__slug="ilacs-2024")
    pdf = work / "report.pdf"
    pdf.write_bytes(report_pdf(report, generated_at=timezone.now()).data)

    texts = [page.extract_text() for page in PdfReader(pdf).pages]

    def first(part: str) -> int:
        return next(n for n, text in enumerate(texts, start=1) if part in text)

    progress, exceptions, measures, implications, plan, criteria = (first(part) for part in PARTS)
    # cover, progress summary (section 4), exceptions, outcome measures, their trend
    # charts (the page after the measures table), the action plan, the RAG criteria,
    # and sections 7 to 12 of the council's template
    wanted = [1, progress, exceptions, measures, measures + 1, plan, criteria, implications]
    for index, page in enumerate(wanted, start=1):
        stem = work / f"page-{page}"
        subprocess.run(
            ["pdftoppm", "-r", "70", "-png", "-singlefile", "-f", str(page), "-l", str(page)]
            + [str(pdf), str(stem)],
            check=True,
        )
        shutil.copyfile(f"{stem}.png", OUT / f"report-page-{index}.png")
        print(f"report-page-{index}.png: page {page} of {len(texts)}")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
