"""Stories: copies and same-event reports share a story id, assigned as articles arrive, crash-safely."""

from __future__ import annotations

import pytest

from retrieval.indexing.store import NewsIndex
from retrieval.stories import containment, decode_signature, encode_signature, new_story_id, signature
from retrieval.types import Article

WIRE = (
    "Venezuela's government said on Sunday that 88 more people detained after the July election protests "
    "had been released from prison. The Ministry of Penitentiary Service announced the releases in a "
    "statement published on Instagram. Rights groups say more than 1,800 people were arrested after the "
    "disputed vote, and that many of them are still being held without trial. Opposition leaders called "
    "the releases a first step and demanded that every political prisoner be freed before the new year."
)
UPDATE = WIRE + (
    "\nThe foreign ministry did not say when further releases would follow. Relatives gathered outside "
    "the Tocuyito prison on Monday waiting for news of those still inside."
)
OTHER = (
    "Heavy rain flooded the river valley overnight and rescue teams evacuated 300 residents from their "
    "homes. The regional council said the water level had reached its highest mark in forty years and "
    "that roads into the valley would stay closed until Wednesday at the earliest."
)
# The same event told in other words by another outlet.
RETOLD = (
    "Venezuela has freed 88 more prisoners who were detained during the protests that followed July's "
    "presidential election, the prisons ministry said on Sunday in a post on Instagram. Human rights "
    "organisations say that more than 1,800 people were arrested after the contested vote."
)


def art(text, key, title="Venezuela releases 88 detainees", source="wire", published_at="2025-01-05T10:00:00Z"):
    return Article(title=title, text=text, key=key, source=source, published_at=published_at)


@pytest.fixture
def index(settings, embeddings) -> NewsIndex:
    return NewsIndex.open(settings, embeddings)


def story(index: NewsIndex, key: str) -> str:
    info = index.find_by_key(key)
    assert info is not None and info.story_id, f"{key} has no story"
    return info.story_id


def test_signature_round_trips_and_estimates_containment():
    m1, n1 = signature(WIRE)
    m2, n2 = signature(UPDATE)
    back = decode_signature(encode_signature(m1))
    assert back is not None and back.jaccard(m1) == 1.0
    assert containment(m1, n1, m2, n2) > 0.8  # every shingle of the wire copy is in its update
    m3, n3 = signature(OTHER)
    assert containment(m1, n1, m3, n3) < 0.1
    assert decode_signature("not base64!") is None


def test_copies_share_a_story_and_other_news_does_not(index):
    index.add_articles([art(WIRE, "/n/wire.txt"), art(OTHER, "/n/floods.txt", title="Floods")])
    # Later, in another write: an updated copy under another name, from another outlet.
    index.add_articles([art(UPDATE, "/n/outlet.txt", title="88 freed in Venezuela", source="Outlet")])
    assert story(index, "/n/outlet.txt") == story(index, "/n/wire.txt")
    assert story(index, "/n/floods.txt") != story(index, "/n/wire.txt")


def test_a_story_id_never_changes_when_articles_join(index):
    index.add_articles([art(WIRE, "/n/wire.txt")])
    first = story(index, "/n/wire.txt")
    index.add_articles([art(UPDATE, "/n/update.txt"), art(OTHER, "/n/floods.txt", title="Floods")])
    assert story(index, "/n/wire.txt") == first == story(index, "/n/update.txt")


@pytest.mark.parametrize(("published_at", "joins"), [("2025-01-06T09:00:00Z", True), ("2025-01-15T10:00:00Z", False)])
def test_same_event_in_other_words_joins_within_the_window_only(settings, embeddings, published_at, joins):
    # The retold report is close to the wire copy but not a copy: the embedding threshold decides,
    # and only within the window (48 h here): ten days later the same words are another event.
    index = NewsIndex.open(settings.with_(story_similarity=0.8, story_window_hours=48), embeddings)
    index.add_articles([art(WIRE, "/n/wire.txt")])
    index.add_articles([art(RETOLD, "/n/retold.txt", title="88 prisoners freed", source="Other", published_at=published_at)])
    assert (story(index, "/n/retold.txt") == story(index, "/n/wire.txt")) is joins


def test_strict_threshold_keeps_retold_report_apart(index):
    index.add_articles([art(WIRE, "/n/wire.txt"), art(RETOLD, "/n/retold.txt", title="88 prisoners freed")])
    assert story(index, "/n/retold.txt") != story(index, "/n/wire.txt")


def test_an_index_built_before_stories_gets_ids_on_the_next_write(index):
    index.add_articles([art(WIRE, "/n/wire.txt"), art(UPDATE, "/n/update.txt"), art(OTHER, "/n/o.txt", title="Floods")])
    res = index.articles.get(include=["metadatas"])
    old = [{**m, "story_id": None, "minhash": None, "shingles": None} for m in res["metadatas"]]  # None deletes a key
    index.articles.update(ids=res["ids"], metadatas=old)
    with index.lexical.db() as conn:  # nor the story table that came after stories
        for sql in ("DELETE FROM story_members", "DELETE FROM story_bands",
                    "DELETE FROM meta WHERE key LIKE 'stories_%'"):
            conn.execute(sql)
    before = index.version()
    reopened = NewsIndex.open(index.settings, index.embeddings)  # another process: an empty LSH
    assert all(a.story_id == "" for a in reopened.list_articles())  # still readable without ids
    report = reopened.add_articles([])
    assert report.added == 0
    assert story(reopened, "/n/wire.txt") == story(reopened, "/n/update.txt") != story(reopened, "/n/o.txt")
    assert reopened.version() != before  # caches built from article metadata see the new ids


def test_crash_mid_write_leaves_no_story_member_behind(index, monkeypatch):
    index.add_articles([art(OTHER, "/n/floods.txt", title="Floods")])
    real = NewsIndex._upsert
    calls = {"n": 0}

    def dying_upsert(collection, *args):
        calls["n"] += 1
        if calls["n"] == 2:  # the article record is stored, pending, with its story id; its sentences are not
            raise KeyboardInterrupt
        return real(collection, *args)

    monkeypatch.setattr(NewsIndex, "_upsert", staticmethod(dying_upsert))
    with pytest.raises(KeyboardInterrupt):
        index.add_articles([art(WIRE, "/n/wire.txt")])
    monkeypatch.setattr(NewsIndex, "_upsert", staticmethod(real))
    # The next write (this process or another) removes the pending record and forgets its signature.
    index.add_articles([art(UPDATE, "/n/update.txt")])
    stored = {a.id for a in index.list_articles()}
    assert index.find_by_key("/n/wire.txt") is None
    assert index.stories.table.ids() == stored
    metas = index.articles.get(include=["metadatas"])["metadatas"]
    assert all(m.get("story_id") and m.get("status") == "complete" for m in metas)
    # The update started its own story: it did not join one whose only article never made it into the index.
    assert story(index, "/n/update.txt") == new_story_id(index.find_by_key("/n/update.txt").id)
