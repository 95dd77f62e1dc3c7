"""XML exports as a source: files, globs of files or a download, streamed in constant memory.

A source's `[sources.NAME.connector]` table, with the defaults shown (`record` and `id` are
required, and one of `path` and `url`)::

    kind = "xml"
    path = "exports/nhiem-vu-*.xml"     # a file, or a glob (files in name order)
    url = "https://..."                 # or a download, streamed
    record = "q:NhiemVu"                # the record element; prefixes come from namespaces
    namespaces = { q = "urn:so-khcn:nhiem-vu" }
    id = "q:MaSo"                       # XPath from the record element to its id (or "@id")
    modified = "q:NgayCapNhat"          # default none; ISO 8601 or dd/mm/yyyy [HH:MM[:SS]],
                                        # Vietnamese time when it has no offset
    deleted = "@trang_thai = 'da_xoa'"  # default none; an XPath test: true = record deleted
    encoding = "auto"                   # as the file declares; or force one (windows-1258...)
    max_bytes = 1073741824              # refuse a document larger than this (per file)
    max_depth = 256                     # refuse elements nested deeper (at most 256)
    timeout = 30                        # url only: seconds to connect and between reads
    retries = 4                         # url only: attempts before the body starts

Each record element becomes a SourceRecord whose payload is {"_xml": the element as text,
namespaces kept}; its origin is {"file" or "url", "line", "index" (from 1 in each document)}.
Mapping files read fields from it with XPath (see `schemas.mapping`). Parsing is hardened
(`connectors.xmlsafe`): a document with entity declarations or an external DTD is refused.
"""

from connectors.xml.connector import XmlConnector

__all__ = ["XmlConnector"]
