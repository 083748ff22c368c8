"""The browser's own network record of a run, one recorder per browser: CDP's Network domain
in Chromium (``cdp``), Playwright's requests built from WebDriver BiDi in Firefox (``bidi``)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any, Protocol

from playwright.sync_api import BrowserContext, CDPSession, Page
from playwright.sync_api import Error as PlaywrightError

from playgate.capture.bidi import BidiSnapshot, record_from_bidi, snapshot_from_playwright
from playgate.capture.cdp import EVENTS, CdpNetworkLog
from playgate.records import NO_RESPONSE, NetworkRecord, ResourceTiming

# Told of each request as it is issued ("requested", no record yet) and as its figures
# arrive ("response" in Chromium, "finished" in Firefox): what --live prints.
NetworkListener = Callable[[str, str, NetworkRecord | None], None]


def ignore_network(kind: str, url: str, record: NetworkRecord | None) -> None:
    pass


class NetworkRecorder(Protocol):
    """The browser's network record of every page of a context: the page under test and
    the others the run opened (they share the browser's per-host connections)."""

    def attach(self, context: BrowserContext, page: Page, listener: NetworkListener = ignore_network) -> None: ...

    def settled(self, urls: set[str]) -> bool: ...

    def records(self, page_entries: dict[str, ResourceTiming]) -> list[NetworkRecord]: ...


def in_issue_order(records: list[NetworkRecord]) -> list[NetworkRecord]:
    """Records of several pages as one list, in the order they were issued."""
    return sorted(records, key=lambda r: (r.started_at is None, r.started_at or 0.0))


class CdpRecorder:
    """Chromium: a CDP session per page, Network domain enabled before it navigates."""

    def __init__(self) -> None:
        self.logs: list[CdpNetworkLog] = []
        # Playwright's own view of the page's requests, for any a DevTools session missed:
        # a worker that Playwright's session let run before ours enabled its Network domain.
        self._missed = BidiRecorder(source="playwright")

    def attach(self, context: BrowserContext, page: Page, listener: NetworkListener = ignore_network) -> None:
        self._missed.attach(context, page)
        session = context.new_cdp_session(page)
        log = CdpNetworkLog()
        self.logs.append(log)

        def handle(method: str, params: dict[str, Any]) -> None:
            log.handle(method, params)
            if listener is ignore_network:
                return
            if method == "Network.requestWillBeSent":
                listener("requested", params["request"]["url"], None)
            elif method == "Network.responseReceived" and (record := log.record(params["requestId"])):
                listener("response", record.url, record)

        for method in EVENTS:
            session.on(method, lambda params, method=method: handle(method, params))
        session.send("Network.enable")
        self._attach_workers(session)

    def _attach_workers(self, session: CDPSession) -> None:
        """Dedicated workers and out-of-process frames make their requests in their own
        targets, which the page's session does not see. Attach to each as it starts (held
        until then, so no request is missed) and read its Network events through the
        page's session: Playwright routes no other session's events to us."""
        worker_logs: dict[str, CdpNetworkLog] = {}

        def attached(params: dict[str, Any]) -> None:
            target = params["sessionId"]
            if params["targetInfo"].get("type") in ("worker", "iframe"):
                worker_logs[target] = CdpNetworkLog()
                self.logs.append(worker_logs[target])
                _send_to(session, target, "Network.enable")
            _send_to(session, target, "Runtime.runIfWaitingForDebugger")

        def received(params: dict[str, Any]) -> None:
            log = worker_logs.get(params["sessionId"])
            message = json.loads(params["message"])
            if log is not None and message.get("method") in EVENTS:
                log.handle(message["method"], message["params"])

        session.on("Target.attachedToTarget", attached)
        session.on("Target.receivedMessageFromTarget", received)
        session.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})

    def settled(self, urls: set[str]) -> bool:
        left = {url for url in urls if not any(log.settled({url}) for log in self.logs)}
        return not left or self._missed.settled(left)

    def records(self, page_entries: dict[str, ResourceTiming]) -> list[NetworkRecord]:
        seen = [record for log in self.logs for record in log.records()]
        urls = {record.url for record in seen}
        missed = self._missed.records(page_entries, skip=urls)
        return in_issue_order(seen + missed)


class BidiRecorder:
    """Firefox: Playwright's request events of each page, which it builds from WebDriver BiDi.
    (In Chromium, the same events stand in for requests the DevTools sessions missed.)"""

    def __init__(self, source: str = "bidi") -> None:
        self.source = source
        self._issued: list[Any] = []
        self._settled: dict[int, Any] = {}
        self._answered: set[int] = set()  # a response came (an event stream may never end)

    def attach(self, context: BrowserContext, page: Page, listener: NetworkListener = ignore_network) -> None:
        def issued(request: Any) -> None:
            self._issued.append(request)
            listener("requested", request.url, None)

        def settled(request: Any) -> None:
            self._settled.setdefault(id(request), request)
            if listener is ignore_network:
                return
            try:
                snapshot = snapshot_from_playwright(request)
            except PlaywrightError:  # the browser went while its sizes were asked: the run says so itself
                return
            listener("finished", request.url, record_from_bidi(snapshot, None))

        page.on("request", issued)
        page.on("response", lambda response: self._answered.add(id(response.request)))
        page.on("requestfinished", settled)
        page.on("requestfailed", settled)

    def settled(self, urls: set[str]) -> bool:
        done = {r.url for r in self._settled.values()}
        issued = {r.url for r in self._issued}
        return urls <= issued and urls <= done

    def records(
        self, page_entries: dict[str, ResourceTiming], skip: frozenset[str] | set[str] = frozenset()
    ) -> list[NetworkRecord]:
        """Every request's record (but those to the URLs in ``skip``)."""
        records = []
        for request in self._issued:
            if request.url in skip:
                continue
            if id(request) in self._settled:
                snapshot = snapshot_from_playwright(request)
            elif id(request) in self._answered:
                snapshot = snapshot_from_playwright(request, ended=False)
            else:
                snapshot = BidiSnapshot(
                    request.url, {}, None, None, None, NO_RESPONSE, request.resource_type, request.method
                )
            records.append(record_from_bidi(snapshot, page_entries.get(request.url), self.source))
        return in_issue_order(records)


def _send_to(session: CDPSession, target: str, method: str) -> None:
    message = json.dumps({"id": next(_MESSAGE_IDS), "method": method})
    session.send("Target.sendMessageToTarget", {"sessionId": target, "message": message})


_MESSAGE_IDS = itertools.count(1)
