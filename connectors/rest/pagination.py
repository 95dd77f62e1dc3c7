"""Paging through a provincial list endpoint (page numbers, offsets, next links), with guards
against servers that loop."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

from requests.models import PreparedRequest

from connectors.errors import SourceDataError
from connectors.rest.envelope import Page
from connectors.rest.options import RestSettings
from connectors.rest.paths import MISSING


def with_params(url: str, params: Mapping[str, object]) -> str:
    """`url` with `params` added to its query string, encoded as requests encodes them."""
    prepared = PreparedRequest()
    prepared.prepare_url(url, {k: str(v) for k, v in params.items()})
    return str(prepared.url)


class Pager(ABC):
    """Says which URL to fetch first and which after each page; `params` are sent on the first."""

    def __init__(self, source: str, settings: RestSettings, params: Mapping[str, str]):
        self.source = source
        self.settings = settings
        self.params = dict(params)
        self.position = 0  # the page number or offset of the last URL given

    @abstractmethod
    def first(self) -> str: ...

    @abstractmethod
    def after(self, page: Page) -> str | None:
        """The next URL, or None when `page` was the last."""


class Single(Pager):
    def first(self) -> str:
        return with_params(self.settings.url, self.params)

    def after(self, page: Page) -> str | None:
        return None


class PageNumbers(Pager):
    def first(self) -> str:
        self.position = self.settings.first_page
        return self._url()

    def after(self, page: Page) -> str | None:
        self.position += 1
        return self._url()

    def _url(self) -> str:
        s = self.settings
        paging = {s.page_param: self.position}
        if s.page_size_param:
            paging[s.page_size_param] = s.page_size
        return with_params(s.url, {**self.params, **paging})


class Offsets(Pager):
    def first(self) -> str:
        self.position = 0
        return self._url()

    def after(self, page: Page) -> str | None:
        # By what came back, not by the limit: servers cap the limit without saying so.
        self.position += len(page.items)
        return self._url()

    def _url(self) -> str:
        s = self.settings
        paging = {s.offset_param: self.position, s.limit_param: s.page_size}
        return with_params(s.url, {**self.params, **paging})


class NextLinks(Pager):
    def first(self) -> str:
        s = self.settings
        size = {s.page_size_param: s.page_size} if s.page_size_param else {}
        return with_params(s.url, {**self.params, **size})

    def after(self, page: Page) -> str | None:
        s = self.settings
        if s.next_link_header is None:
            link = s.next_link_path.get(page.body) if s.next_link_path else None
            named = named_vi = f"next_link_path {s.next_link_path}"
        elif s.next_link_header.lower() == "link":
            link = page.links.get("next", {}).get("url")
            named, named_vi = "the Link header's rel=\"next\"", "rel=\"next\" của header Link"
        else:
            link = page.headers.get(s.next_link_header)
            named = named_vi = f"header {s.next_link_header}"
        if link is None or link == "":
            return None
        if not isinstance(link, str):
            raise SourceDataError(self.source, f"{named} holds {link!r}, not a URL",
                                  where=page.where,
                                  message_vi=f"{named_vi} chứa {link!r}, không phải một URL",
                                  where_vi=page.where_vi)
        url = urljoin(page.url, link.strip())
        # Credentials go with every request; a link to another origin must not receive them.
        if _origin(url) != _origin(s.url):
            raise SourceDataError(
                self.source, f"{named} points to {url}, outside {_origin(s.url)}; "
                "not following it with our credentials", where=page.where,
                message_vi=f"{named_vi} trỏ tới {url}, nằm ngoài {_origin(s.url)}; không đi theo "
                "liên kết này cùng thông tin đăng nhập của nguồn", where_vi=page.where_vi,
            )
        return url


PAGERS: dict[str, type[Pager]] = {
    "none": Single, "page": PageNumbers, "offset": Offsets, "next_link": NextLinks,
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def walk_pages(source: str, settings: RestSettings, params: Mapping[str, str],
               fetch: Callable[[str, int], Page]) -> Iterator[Page]:
    """Fetch pages until an empty one, no next link, or `total` records; refuse to loop."""
    pager = PAGERS[settings.pagination](source, settings, params)
    url: str | None = pager.first()
    seen: set[str] = set()
    previous: list[object] | None = None
    count, total, number = 0, None, 1
    while url is not None:
        if number > settings.max_pages:
            raise SourceDataError(
                source, f"stopped after max_pages = {settings.max_pages} pages without reaching "
                "the end; raise max_pages if the source really is that large", where=url,
                message_vi=f"đã dừng sau max_pages = {settings.max_pages} trang mà chưa tới "
                "trang cuối; hãy tăng max_pages nếu nguồn thật sự lớn như vậy",
            )
        if url in seen:
            raise SourceDataError(
                source, f"page {number} would fetch {url} again: the server's paging loops",
                where=url,
                message_vi=f"trang {number} sẽ tải lại {url}: việc phân trang của máy chủ bị "
                "lặp vòng",
            )
        seen.add(url)
        page = fetch(url, number)
        total = _total(source, settings, page, total)
        if not page.items:
            break
        if page.items == previous:
            raise SourceDataError(
                source, f"page {number} repeats page {number - 1} exactly: the server seems "
                "to ignore the paging parameters (set total_path, or pagination = \"none\")",
                where=page.where,
                message_vi=f"trang {number} lặp lại y hệt trang {number - 1}: máy chủ có vẻ bỏ "
                "qua các tham số phân trang (hãy đặt total_path, hoặc pagination = \"none\")",
                where_vi=page.where_vi,
            )
        yield page
        count += len(page.items)
        previous = page.items
        if total is not None and count >= total:
            break
        url = pager.after(page)
        number += 1
    if total is not None and count != total:
        raise SourceDataError(
            source, f"the server announced {total} records ({settings.total_path}) but sent "
            f"{count}; records may have changed while paging", where=settings.url,
            message_vi=f"máy chủ báo có {total} bản ghi ({settings.total_path}) nhưng đã gửi "
            f"{count}; có thể bản ghi đã thay đổi trong lúc phân trang",
        )


def _total(source: str, settings: RestSettings, page: Page, known: int | None) -> int | None:
    if settings.total_path is None:
        return None
    value = settings.total_path.find(page.body)
    if value is MISSING or value is None:
        return known
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SourceDataError(
            source, f"total_path {settings.total_path} holds {value!r}, not a count of records",
            where=page.where,
            message_vi=f"total_path {settings.total_path} chứa {value!r}, không phải số lượng "
            "bản ghi", where_vi=page.where_vi,
        )
    return value
