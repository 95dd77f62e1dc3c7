"""OAI-PMH 2.0 repositories as a source: DSpace and the like, and CRIS publishing OpenAIRE CERIF.

A source's `[sources.NAME.connector]` table, with the defaults shown (`url` is required)::

    url = "https://repo.example.edu.vn/oai/request"   # the base URL, without ?verb=...
    metadata_prefix = "oai_dc"     # or "oai_cerif_openaire" (whatever ListMetadataFormats says)
    set = "nhiem-vu"               # default none: the whole repository
    overlap = "1h"                 # "90s", "30m", "1h", "2d" or seconds: `from` = since - overlap
    cerif = false                  # true: yield Projects only, with their references inlined
    timeout = 30                   # seconds, to connect and to read
    retries = 4                    # attempts for 5xx, 429, resets and timeouts
    verify_tls = true              # or ca_bundle = "certs/repo.pem"
    max_pages = 100000

A run asks Identify first (granularity, earliest datestamp), then ListRecords with `from`
written to the repository's granularity, following resumption tokens (kept in memory only,
never in messages, logs or state). Each record becomes a SourceRecord: `record_id` is the OAI
identifier, `modified_at` the header datestamp, `deleted` the header's status="deleted", and
`payload` = {"_xml": the <metadata> child element as text (absent when deleted),
"oai_identifier", "datestamp", "sets": [...]}. Mapping files read `_xml` with XPath.

OAI-PMH errors mean what the protocol says: noRecordsMatch is an empty harvest;
badResumptionToken restarts the list once from the last datestamp seen; cannotDisseminateFormat,
badArgument, badVerb, noSetHierarchy (and idDoesNotExist for `get_record`) are configuration
errors naming the option; 503 with Retry-After is waited for. Characters that XML 1.0 forbids
are taken out of a page (with a warning naming the records); any other malformed page ends the
run with a SourceDataError after the records of the pages before it.

With `cerif = true` (OpenAIRE Guidelines for CRIS Managers 1.1 and 1.2), every OrgUnit, Person
and Funding a Project names by id only is replaced by its full record, found in the same
harvest or in the repository's openaire_cris_orgunits / _persons / _funding set, and the
Project is given in the 1.2 namespace whatever profile version it was published in.
"""

from connectors.oaipmh.connector import OaiPmhConnector

__all__ = ["OaiPmhConnector"]
