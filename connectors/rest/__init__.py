"""Provincial JSON task-management APIs as a source: auth, pagination, envelopes, retries.

A source's `[sources.NAME.connector]` table, with the defaults shown (`url` and `pagination`
are required; secrets come only from `<name>_env` or `<name>_file`)::

    url = "https://qlkh.example.gov.vn/api/nhiem-vu"
    pagination = "page"            # none | page | offset | next_link
    auth = "none"                  # none | bearer (token_*) | api_key (api_key_*) | basic
    token_env = "QLKH_TOKEN"       # or token_file = "secrets/qlkh-token"
    api_key_header = "X-API-Key"   # api_key: the key from api_key_env / api_key_file
    username = "dongbo"            # basic: the password from password_env / password_file
    records_path = ""              # dotted path to the list in each page; "" = the body
    id_field = "id"                # dotted path inside a record
    modified_field = "updated_at"  # default none; ISO 8601, dd/mm/yyyy [HH:MM[:SS]] or epoch
    page_param = "page"            # page: numbers from first_page = 1
    page_size_param = "page_size"  # "" sends no page size
    page_size = 100
    offset_param = "offset"        # offset: the next offset is the records received so far
    limit_param = "limit"
    next_link_path = "links.next"  # next_link: or "header:Link" for an RFC 8288 Link header
    total_path = "data.total"      # default none; stops paging and checks the count
    since_param = "updated_since"  # default none: `since` is then applied here, not sent
    since_format = "iso"           # iso | dd/mm/yyyy | epoch (always in Vietnamese time)
    success_path = "success"       # a false value there is an error even under HTTP 200
    message_path = "message"       # quoted in that error and in HTTP errors
    params = { nam = "2024" }      # static query parameters
    headers = { "X-Tenant" = "gialai" }
    timeout = 30                   # seconds, to connect and to read
    retries = 4                    # attempts for 5xx, 429, resets and timeouts
    verify_tls = true              # or ca_bundle = "certs/so-khcn.pem"
    max_pages = 100000
"""

from connectors.rest.connector import RestConnector

__all__ = ["RestConnector"]
