"""Files out and in: the result files (exports), the export formats' registry that the command line and
the pages share (exporters), the follow-up reports (reports: DOCX, PDF, PPTX), chart images
through one shared kaleido/Chromium (imaging) and the QR cards (cards).

This package re-exports the public names of exports and exporters. The reports, the images and the
cards are not imported here: they load python-docx, python-pptx, fpdf2 and kaleido, which the
registry loads only when a file is made, so `import edp.io.reports` (or imaging, or cards) for them.
Inside the package, modules import each other directly, never through here.
"""

from edp.io.exporters import (
    CHARTS,
    DOCX,
    EXPORTERS,
    PPTX,
    SCOPES,
    XLSX,
    Exporter,
    Options,
    Progress,
    Render,
    Source,
    by_extension,
    for_format,
    for_subject,
    formats,
    mime_type,
    pick,
    registry,
)
from edp.io.exports import (
    BALLOT_COLUMNS,
    HELIX_COLUMNS,
    TAIL_COLUMNS,
    ballot_rows,
    ballots_csv,
    guard_frame,
    safe_csv,
    tally_columns,
    tally_csv,
    tally_frame,
    tally_xlsx,
)

__all__ = [
    "BALLOT_COLUMNS",
    "CHARTS",
    "DOCX",
    "EXPORTERS",
    "Exporter",
    "HELIX_COLUMNS",
    "Options",
    "PPTX",
    "Progress",
    "Render",
    "SCOPES",
    "Source",
    "TAIL_COLUMNS",
    "XLSX",
    "ballot_rows",
    "ballots_csv",
    "by_extension",
    "for_format",
    "for_subject",
    "formats",
    "guard_frame",
    "mime_type",
    "pick",
    "registry",
    "safe_csv",
    "tally_columns",
    "tally_csv",
    "tally_frame",
    "tally_xlsx",
]
