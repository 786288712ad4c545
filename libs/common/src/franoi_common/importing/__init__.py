"""Import from spreadsheets: a partner's history through its services' own rules.

:mod:`.sheets` declares what a service imports (from its commands), :mod:`.files` reads
CSV and XLSX files and writes templates, :mod:`.runner` runs the rows through the service's
handlers, and :mod:`.api` serves it all under ``/v1/imports``; ``franoi-import``
(:mod:`.cli`) is the partner IT person's way to it.
"""

from franoi_common.importing.sheets import Sheet as Sheet
