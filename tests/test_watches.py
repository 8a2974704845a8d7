"""Watches: each pass's new articles matched, each match delivered once to a real local receiver
(webhook, signed) and through real Apprise (json://), a receiver that is down served on a later pass."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from click.testing import CliRunner

from paperboy.db import connect, store
from paperboy.flows.commands.main import cli
from tests.conftest import article_page, rss, story

pytestmark = pytest.mark.usefixtures("prefect_harness")


def invoke(db_path, *args):
    return CliRunner().invoke(cli, ["--db", db_path, *args])


def publish(server, names: list[str], words: dict[str, str]) -> str:
    """The feed lists these stories; a story's first paragraph opens with its word from `words`."""
    items = []
    for i, name in enumerate(names):
        paragraphs = story(100 + i)
        paragraphs[0] = f"{words.get(name, 'Nothing')} said the council. " + paragraphs[0]
        link = server.add(f"/w/{name}.html", article_page(f"Story {name}", paragraphs))
        items.append({"title": f"Story {name}", "link": link, "guid": name})
    return server.add("/w/feed.xml", rss(items), content_type="application/rss+xml")


def posts(server, path: str) -> list:
    return [h for h in server.hits if h.path == path and h.body]


def test_a_watch_delivers_each_new_match_once_signed_and_a_down_receiver_later(server, db_path):
    store.add_feed(connect(db_path), publish(server, ["old"], {"old": "Zeppelin"}))
    assert invoke(db_path, "run").exit_code == 0  # stored before the watch: never delivered
    added = invoke(db_path, "watch", "add", "ferries", "zeppelin OR funicular", "--webhook", server.url("/hook"))
    assert added.exit_code == 0, added.output
    secret = added.output.split("secret ")[1].split(")")[0]
    from pathlib import Path

    for path in Path(db_path).parent.glob("paperboy.db*"):  # a watch's secret is kept beside the archive, not in it
        assert path.name.endswith(".credentials") or secret.encode() not in path.read_bytes(), path
    server.add("/hook", b"", status=503)  # the receiver is down during the pass
    publish(server, ["old", "a", "b", "c"], {"old": "Zeppelin", "a": "Zeppelin", "b": "Funicular"})
    connect(db_path).execute("update feeds set next_poll_at = null")
    first = invoke(db_path, "run")
    assert first.exit_code == 0 and "watches: 2 new matches, 0 delivered, 2 to try again" in first.output, first.output
    down = posts(server, "/hook")
    assert len(down) == 2

    server.add("/hook", b"", status=204)
    connect(db_path).execute("update outbox set next_at = '2000-01-01'")  # their backoff has passed
    second = invoke(db_path, "run")
    assert "watches: 0 new matches, 2 delivered, 0 to try again" in second.output, second.output
    delivered = posts(server, "/hook")[2:]
    assert len(delivered) == 2
    assert {h.headers["x-paperboy-delivery"] for h in delivered} == {h.headers["x-paperboy-delivery"] for h in down}
    bodies = [json.loads(h.body) for h in delivered]
    for hit, body in zip(delivered, bodies, strict=True):
        expected = "sha256=" + hmac.new(secret.encode(), hit.body, hashlib.sha256).hexdigest()
        assert hit.headers["x-paperboy-signature"] == expected
        assert body["watch"] == "ferries" and body["text"] and body["url"].startswith(server.base)
    searched = invoke(db_path, "search", "zeppelin OR funicular", "--json").output.splitlines()
    assert {b["id"] for b in bodies} == {json.loads(line)["id"] for line in searched} - {1}  # not the old one

    third = invoke(db_path, "run")  # acknowledged: never sent again
    assert len(posts(server, "/hook")) == 4 and third.exit_code == 0
    atom = invoke(db_path, "export", "--format", "atom", "--watch", "ferries")
    assert atom.output.count("<entry>") == 2
    assert "ferries: zeppelin OR funicular  [2 matches; webhook" in invoke(db_path, "watch", "list").output
    assert invoke(db_path, "watch", "test", "ferries").output.count("[") == 3  # the old one matches now too


def test_apprise_json_receives_the_match(server, db_path):
    store.add_feed(connect(db_path), publish(server, [], {}))
    server.add("/apprise", b"", status=200)
    target = f"json://127.0.0.1:{server.port}/apprise"
    assert invoke(db_path, "watch", "add", "harbour", "harbour", "--notify", target).exit_code == 0
    publish(server, ["h"], {"h": "Harbour"})
    ran = invoke(db_path, "run")
    assert "watches: 1 new matches, 1 delivered" in ran.output, ran.output
    [hit] = posts(server, "/apprise")
    assert "Story h" in json.loads(hit.body)["title"]


def test_a_webhook_to_a_private_address_passes_the_guard(server, db_path, monkeypatch):
    store.add_feed(connect(db_path), publish(server, [], {}))
    assert invoke(db_path, "watch", "add", "all", "council", "--webhook", "http://127.0.0.2:9/hook").exit_code == 0
    publish(server, ["x"], {})
    ran = invoke(db_path, "run")
    assert "refused" in ran.output and "watches: 1 new matches, 0 delivered, 1 to try again" in ran.output


def test_each_match_is_a_prefect_event_with_the_watch_as_its_resource(server, db_path):
    import asyncio
    import time
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    name = f"events-{uuid.uuid4().hex[:8]}"  # its own resource: the Prefect server is the session's
    store.add_feed(connect(db_path), publish(server, [], {}))
    assert invoke(db_path, "watch", "add", name, "zeppelin").exit_code == 0
    publish(server, ["e1", "e2", "e3"], {"e1": "Zeppelin", "e2": "Zeppelin"})
    assert "watches: 2 new matches" in invoke(db_path, "run").output

    async def events() -> list:
        async with get_client() as client:
            page = await client.read_events(
                filter=EventFilter(event=EventNameFilter(name=["paperboy.watch.matched"]),
                                   resource=EventResourceFilter(id=[f"paperboy.watch.{name}"])), limit=50)  # fmt: skip
            return page.events

    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(1) as other:  # the events are written by the server as they arrive
        while len(found := other.submit(asyncio.run, events()).result()) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
    assert len(found) == 2 and {e.payload["watch"] for e in found} == {name}
