"""Stories (#41): the same report from many outlets is one story; another report of the same event is
another story. Real SQLite, real pages over HTTP, the real pipeline and CLI."""

from __future__ import annotations

import json

from click.testing import CliRunner

from paperboy.core import Article, Entry, Outcome, url_key
from paperboy.db import connect, store
from paperboy.flows.commands.main import cli
from tests.conftest import article_page, rss, story

REPORT = [
    "Engineers closed the old harbour bridge on Monday after inspectors found cracks in two of its steel "
    "bearings, and the city said the crossing would stay shut for at least three weeks.",
    "Ferries will run every twenty minutes between the two banks while the repairs last, and the council "
    "has asked employers to let staff work from home where they can.",
    "The bridge, opened in 1931, carries about forty thousand vehicles a day, and shop owners on the "
    "southern bank fear that the closure will cost them a month of trade.",
    "A spokesman for the transport department said the cracks had been found during a routine check and "
    "that there was no danger to anyone who had crossed the bridge in recent days.",
    "The repairs will cost about two million pounds, to be shared between the city and the national roads "
    "agency, which inspects the country's older bridges every five years.",
]
# Another report of the same event, in other words: not the same story.
OTHER_REPORT = [
    "Drivers faced long queues on Monday as the harbour crossing shut without warning, with police "
    "directing traffic to the ring road through most of the afternoon.",
    "Inspectors are said to have spotted damage to the bearings last week; the city expects the works to "
    "take several weeks and has put on extra ferry sailings.",
    "Traders south of the river told this newspaper they expect to lose customers, since most arrive by car "
    "from the northern suburbs over the old bridge.",
]


def republished(paragraphs: list[str]) -> list[str]:
    """What an outlet does to an agency's report: a dateline, an advertisement inside, the last
    paragraph cut, a correction appended."""
    body = [f"LONDON (Agency) — {paragraphs[0]}", *paragraphs[1:3], "Advertisement", *paragraphs[3:-1]]
    return [*body, "Correction: an earlier version of this story gave the wrong year for the bridge's opening."]


def outcome(key: str, paragraphs: list[str], title: str) -> Outcome:
    link = f"https://{key}.example/news/bridge"
    return Outcome(
        Entry(1, key, key, link, title), Article(link, "\n\n".join(paragraphs), title), None, (url_key(link),)
    )


def test_a_republished_report_joins_the_story_and_another_report_starts_its_own(tmp_path):
    db = connect(str(tmp_path / "a.db"))
    store.add_feed(db, "https://feeds.example/wire.xml")
    counts = store.save_outcomes(db, 1, [outcome("wire", REPORT, "Harbour bridge shut")])
    counts += store.save_outcomes(db, 1, [outcome("daily", republished(REPORT), "Cracks close city's bridge")])
    counts += store.save_outcomes(db, 1, [outcome("gazette", OTHER_REPORT, "Queues as crossing shuts")])
    counts += store.save_outcomes(db, 1, [outcome("herald", story(4), "Council budget")])
    assert counts["new"] == 4 and counts["new_story"] == 3 and counts["new_version"] == 1
    rows = {r["url"].split("/")[2]: r["story"] for r in store.export_articles(db)}
    assert rows["daily.example"] == rows["wire.example"] == 1
    assert len({rows["wire.example"], rows["gazette.example"], rows["herald.example"]}) == 3


def test_chinese_text_republished_is_one_story(tmp_path):
    base = ["港口大桥周一因检查人员在两个钢制支座上发现裂缝而关闭，市政府表示至少三周内不会重新开放。",
            "维修期间，渡轮每二十分钟往返一次，市议会已要求雇主尽可能让员工在家工作。",
            "这座桥建于一九三一年，每天通行约四万辆汽车，南岸的店主担心关闭会让他们损失一个月的生意。"]  # fmt: skip
    db = connect(str(tmp_path / "a.db"))
    store.add_feed(db, "https://feeds.example/wire.xml")
    store.save_outcomes(db, 1, [outcome("wire", base, "大桥关闭")])
    store.save_outcomes(
        db, 1, [outcome("daily", ["（新华社）" + base[0], base[1], "广告", base[2][:30]], "大桥关闭维修")]
    )
    stories = {r["url"].split("/")[2]: r["story"] for r in store.export_articles(db)}
    assert stories["daily.example"] == stories["wire.example"]


def outlet_page(outlet: int, title: str, paragraphs: list[str]) -> str:
    """The same report in each outlet's own template."""
    if outlet == 0:
        return article_page(title, paragraphs)
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title} | Outlet {outlet}</title></head><body><div id='top'>"
        f"<a href='/'>Outlet {outlet}</a></div><div class='story-body'><h1>{title}</h1><div class='byline'>Staff</div>"
        f"{body}</div><ul class='more'><li><a href='/a'>Another story</a></li><li><a href='/b'>And another</a></li>"
        "</ul></body></html>"
    )


def test_stories_through_a_pass_and_the_cli(server, tmp_path, prefect_harness, monkeypatch):
    from paperboy.flows.ingest import ingest

    db_path = str(tmp_path / "paperboy.db")
    versions = {0: REPORT, 1: republished(REPORT), 2: republished(REPORT)[1:]}
    for outlet, paragraphs in versions.items():
        link = server.add(f"/o{outlet}/bridge.html", outlet_page(outlet, f"Bridge shut ({outlet})", paragraphs))
        if outlet == 1:  # another outlet: another host (the same server)
            monkeypatch.setenv("PAPERBOY_ALLOWED_HOSTS", f"127.0.0.1:{server.port},localhost:{server.port}")
            link = link.replace("127.0.0.1", "localhost")
        other = server.add(f"/o{outlet}/other.html", outlet_page(outlet, f"Budget {outlet}", story(20 + outlet)))
        items = [{"title": "bridge", "link": link, "guid": "bridge"}, {"title": "other", "link": other, "guid": "o"}]
        server.add(f"/o{outlet}.xml", rss(items), content_type="application/rss+xml")
        store.add_feed(connect(db_path), server.url(f"/o{outlet}.xml"))
    summary = ingest(db_path=db_path, progress=False)
    assert summary["articles"]["new"] == 6, json.dumps(summary["articles"])
    assert (summary["articles"]["new_stories"], summary["articles"]["new_versions"]) == (4, 2)
    run = CliRunner().invoke
    exported = [json.loads(line) for line in run(cli, ["--db", db_path, "export"]).stdout.splitlines()]
    bridge = {r["story"] for r in exported if r["title"].startswith("Bridge")}
    assert len(bridge) == 1 and len({r["story"] for r in exported}) == 4
    hits = run(cli, ["--db", db_path, "search", "bearings", "--collapse", "--json"]).stdout.splitlines()
    assert [json.loads(h)["versions"] for h in hits] == [3]
    listed = [json.loads(line) for line in run(cli, ["--db", db_path, "stories", "--json"]).stdout.splitlines()]
    assert [(s["story"], s["versions"]) for s in listed] == [(bridge.pop(), 3)]
    feed = json.loads(run(cli, ["--db", db_path, "export", "--format", "jsonfeed"]).stdout)
    assert sorted(i["_paperboy"]["story"] for i in feed["items"]) == sorted(r["story"] for r in exported)
    atom = run(cli, ["--db", db_path, "export", "--format", "atom"]).stdout
    assert atom.count(f'term="{listed[0]["story"]}"') == 3
    first = listed[0]["articles"][0]
    shown = run(cli, ["--db", db_path, "show", str(first)]).output
    assert "story:      3 versions from 2 outlets" in shown


def test_an_older_archive_gets_its_stories_once(tmp_path):
    path = str(tmp_path / "old.db")
    db = connect(path)
    store.add_feed(db, "https://feeds.example/wire.xml")
    for key, paragraphs in (("wire", REPORT), ("daily", republished(REPORT)), ("gazette", OTHER_REPORT)):
        store.save_outcomes(db, 1, [outcome(key, paragraphs, key)])
    db.execute("update articles set story_id = null")  # as a paperboy from before stories left them
    db.execute("delete from story_bands")
    db.execute("delete from story_sigs")
    run = CliRunner().invoke
    result = run(cli, ["--db", path, "stories", "--json"])
    assert result.exit_code == 0 and "giving older articles their stories: 3 of 3" in result.stderr
    [found] = [json.loads(line) for line in result.stdout.splitlines()]
    assert (found["story"], found["versions"], found["outlets"]) == (1, 2, ["daily.example", "wire.example"])
    again = run(cli, ["--db", path, "stories"])
    assert "giving older" not in again.stderr and again.stdout.endswith("1 story carried by 2 outlets or more\n")


def test_an_articles_story_is_set_without_indexing_its_text_again(tmp_path):
    """The full-text index follows title and text only; an older archive's trigger that re-indexed
    on any change (a story, a confidence) is replaced."""
    path = str(tmp_path / "old.db")
    older = connect(path).conn
    older.execute("drop trigger articles_au")
    older.execute(
        "create trigger articles_au after update on articles begin "
        "insert into articles_fts (articles_fts, rowid, title, text) "
        "values ('delete', old.rowid, old.title, old.text); "
        "insert into articles_fts (rowid, title, text) values (new.rowid, new.title, new.text); end"
    )
    older.execute("pragma user_version = 0")
    db = connect(path)
    store.add_feed(db, "https://feeds.example/wire.xml")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    store.save_outcomes(db, 1, [outcome("wire", REPORT, "Harbour bridge shut")])
    fts_writes = [s for s in statements if "articles_fts" in s and "insert" in s.lower()]
    assert len(fts_writes) == 1, fts_writes  # the insert's own, not a second one for the story
    assert [r["story"] for r in store.export_articles(db)] == [1]
