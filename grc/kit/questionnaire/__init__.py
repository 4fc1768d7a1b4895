"""The security questionnaire of Amazon's developer profile: question areas, answers drafted from
live records (``drafts``), the security lead's edits and dated submission snapshots
(``services``), the differences since a snapshot (``diff``) and the text/PDF export (``export``)."""
