"""Watches at the end of a pass: its new articles matched against every watch (one query a watch),
each match recorded, announced as a Prefect event, and delivered from the outbox: by webhook (a
signed POST of the article as JSON) and through Apprise. A receiver that is down gets its
deliveries on a later pass, with backoff; one that answered 2xx is never sent one again."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

from paperboy.db import store
from paperboy.fetchers import Fetcher, FetchSettings
from paperboy.flows.progress import Progress

SIGNATURE = "X-Paperboy-Signature"  # sha256=<hex HMAC-SHA256 of the body under the watch's secret>
DELIVERY = "X-Paperboy-Delivery"  # the delivery's id: the same on every retry, so a receiver drops repeats
EVENT = "paperboy.watch.matched"
SNIPPET = 280  # characters of the text's start a delivery carries as its snippet


def match_new(db, watches: list[store.Watch], after: int, show: Progress) -> int:
    """Match the articles stored after the article `after` against these watches; how many matches."""
    total = 0
    for w in watches:
        ids = store.matching(db, w, after=after)
        if not ids:
            continue
        fresh = store.record_matches(db, w, ids)
        total += len(fresh)
        _announce(w, fresh)
        show.line(f"watch {w.name}: {len(fresh)} new match{'es' * (len(fresh) != 1)}")
    return total


def _announce(w: store.Watch, article_ids: list[int]) -> None:
    """A Prefect event a match (the watch as its resource): automations can act on it."""
    from prefect.events import emit_event

    for article_id in article_ids:
        emit_event(
            event=EVENT,
            resource={"prefect.resource.id": f"paperboy.watch.{w.name}", "prefect.resource.name": w.name},
            payload={"watch": w.name, "query": w.query, "article_id": article_id},
        )


def payload(d: store.Delivery) -> bytes:
    """What a receiver gets: the article as JSON, with the watch and a snippet."""
    a = d.article
    body = {
        "delivery": d.id, "watch": d.watch, "id": a["id"], "title": a["title"], "url": a["url"],
        "canonical_url": a["canonical_url"], "authors": a["authors"], "published": a["published"],
        "language": a["language"], "feed": a["feed"], "snippet": " ".join((a["text"] or "")[:SNIPPET].split()),
        "text": a["text"],
    }  # fmt: skip
    return json.dumps(body, ensure_ascii=False).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(db, settings: FetchSettings, show: Progress) -> tuple[int, int]:
    """Send every delivery whose time has come; (acknowledged, failed this time)."""
    due = store.due_deliveries(db)
    if not due:
        return 0, 0
    results = asyncio.run(_send_all(due, settings))
    done = failed = 0
    for d, error in zip(due, results, strict=True):
        store.record_delivery(db, d.id, error)
        if error is None:
            done += 1
        else:
            failed += 1
            show.line(f"watch {d.watch}: delivery {d.id} to {d.channel} failed: {error}; tried again later")
    return done, failed


async def _send_all(due: list[store.Delivery], settings: FetchSettings) -> list[str | None]:
    async with Fetcher(settings) as fetcher:

        async def one(d: store.Delivery) -> str | None:
            body = payload(d)
            if d.channel == "webhook":
                headers = {"Content-Type": "application/json", SIGNATURE: sign(d.secret, body), DELIVERY: d.id}
                result = await fetcher.post(d.target, body, headers)
                return result.error
            return await asyncio.to_thread(_notify, d, body)

        return list(await asyncio.gather(*(one(d) for d in due)))


def _notify(d: store.Delivery, body: bytes) -> str | None:
    """Through Apprise (any of its services); None when it says it was sent."""
    import apprise

    a = d.article
    notifier = apprise.Apprise()
    if not notifier.add(d.target):
        return "not an Apprise URL Apprise can use"
    text = f"{a['url']}\n\n{' '.join((a['text'] or '')[:SNIPPET].split())}"
    sent = notifier.notify(title=f"[{d.watch}] {a['title'] or a['url']}", body=text)
    return None if sent else "Apprise could not deliver it"
