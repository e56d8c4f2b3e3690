"""CSV for every list: the whole filtered table in one streamed response (Power BI and
spreadsheets want the table, not pages), written row by row from `values()` so memory
stays flat however many rows there are."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from rest_framework import renderers, serializers

CHUNK_ROWS = 2000


class CSVRenderer(renderers.BaseRenderer):
    """Chosen by `?format=csv` or `Accept: text/csv`. Lists stream through `stream_csv`;
    this renders what else may come back as CSV (an error's detail)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        if isinstance(data, dict):
            writer.writerow(list(data))
            writer.writerow([str(value) for value in data.values()])
        elif data is not None:
            writer.writerow([str(data)])
        return out.getvalue().encode()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def stream_csv(serializer: serializers.Serializer, rows: Iterable[dict]) -> Iterator[str]:
    """The header (the serializer's field names), then one line per row, in chunks.

    Plain fields are read straight from the `values()` row by their source; method fields
    are asked of the serializer, as the JSON is.
    """
    fields = list(serializer.fields.items())
    getters = []
    for _name, field in fields:
        if isinstance(field, serializers.SerializerMethodField):
            method = getattr(serializer, field.method_name)
            getters.append(lambda row, method=method: method(row))
        else:
            getters.append(lambda row, source=field.source: row[source])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _field in fields])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_text(get(row)) for get in getters])
        if count % CHUNK_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
