"""The analyst's path through the crisis room over HTTP: sign in with a key, read the board
through the session cookie, triage, record a response, read the response times, download the
report and read its text back."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import httpx
import pytest

from app.db import Database
from app.models import Issue, Role, Webhook, WebhookDelivery, utcnow
from tests.factories import link, make_article, make_issue, make_key, make_source, make_watchlist

FORM = {"content-type": "application/x-www-form-urlencoded"}


async def sign_in(client: httpx.AsyncClient, secret: str) -> str:
    """Sign in through the form; answers the page's CSRF token."""
    answer = await client.post("/login", content=f"key={secret}&next=/", headers=FORM)
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = await client.get("/")
    assert page.status_code == 200
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found
    return found.group(1)


async def seed(db: Database) -> tuple[int, int]:
    now = utcnow()
    async with db.writer.begin() as session:
        watchlist = await make_watchlist(session, query="banjir")
        issue = await make_issue(session, title="Banjir Jakarta", severity=72.5, negative_share=0.5)
        issue.watchlist_ids = [watchlist.id]
        issue.created_at = now - timedelta(hours=5)
        for hours, label in ((6, "negative"), (5, "neutral"), (1, "negative")):
            article = await make_article(
                session,
                published_at=now - timedelta(hours=hours),
                label=label,
                negativity=0.9 if label == "negative" else 0.2,
                targets=[
                    {
                        "name": "Pemprov DKI",
                        "label": label,
                        "negativity": 0.9,
                        "mentions": 1,
                        "evidence": ["Pemprov DKI dikritik lamban menangani banjir."],
                        "phrases": ["dikritik lamban"],
                    }
                ],
            )
            await link(session, issue=issue, article=article, watchlists=(watchlist,))
        issue.article_count = 3
        source = await make_source(session, name="Portal Mati")
        source.last_error = "HTTP 503 from the server"
        source.last_error_at = now - timedelta(hours=1)
        source.error_count = 3
        hook = Webhook(name="ops", url="http://127.0.0.1:9/hook", secret="x" * 32)
        session.add(hook)
        await session.flush()
        session.add(
            WebhookDelivery(
                webhook_id=hook.id,
                idempotency_key=f"k{issue.id}",
                subject=f"issue:{issue.id}",
                reason="severity_above",
                payload={},
                created_at=now - timedelta(hours=4),
            )
        )
        return issue.id, watchlist.id


async def test_the_analyst_signs_in_triages_responds_and_downloads_the_report(
    client: httpx.AsyncClient, db: Database
) -> None:
    issue_id, _ = await seed(db)
    async with db.writer.begin() as session:
        _key, secret = await make_key(session, Role.ANALYST)
        issue = await session.get(Issue, issue_id)
        assert issue is not None
        seeded_at = issue.created_at + timedelta(hours=5)  # seed's "now": times count from it

    assert (await client.get("/")).headers["location"] == "/login?next=/"
    bad = await client.post("/login", content="key=pnt_nope&next=/", headers=FORM)
    assert bad.status_code == 401 and "tidak dikenal" in bad.text
    csrf = await sign_in(client, secret)

    board = await client.get("/v1/issues")
    assert board.status_code == 200
    assert [i["id"] for i in board.json()["items"]] == [issue_id]
    etag = board.headers["etag"]
    assert (await client.get("/v1/issues", headers={"If-None-Match": etag})).status_code == 304
    volume = (await client.get(f"/v1/issue-volume?issue={issue_id}&days=2")).json()
    assert sum(volume["items"][0]["counts"]) == 3

    detail = (await client.get(f"/v1/issues/{issue_id}")).json()
    assert detail["articles"][0]["targets"][0]["phrases"] == ["dikritik lamban"]

    # a state-changing request without the page's CSRF header is refused, and changes nothing
    refused = await client.patch(f"/v1/issues/{issue_id}", json={"status": "escalated"})
    assert refused.status_code == 403
    triaged = await client.patch(
        f"/v1/issues/{issue_id}",
        json={"status": "escalated", "comment": "Menteri dikutip"},
        headers={"X-CSRF-Token": csrf},
    )
    assert triaged.status_code == 200 and triaged.json()["status"] == "escalated"
    assert (await client.get("/v1/issues", headers={"If-None-Match": etag})).status_code == 200

    missing_outlet = await client.post(
        f"/v1/issues/{issue_id}/responses",
        json={"kind": "hak_jawab"},
        headers={"X-CSRF-Token": csrf},
    )
    assert missing_outlet.status_code == 422 and "outlet" in missing_outlet.json()["detail"]
    responded_at = (seeded_at - timedelta(hours=2)).isoformat()
    made = await client.post(
        f"/v1/issues/{issue_id}/responses",
        json={
            "kind": "press_release",
            "url": "https://pemprov.example.go.id/siaran-pers/1",
            "responded_at": responded_at,
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 201 and made.json()["actor"] == "test analyst"
    reply = await client.post(
        f"/v1/issues/{issue_id}/responses",
        json={"kind": "hak_jawab", "outlet": "Tempo"},
        headers={"X-CSRF-Token": csrf},
    )
    published = await client.patch(
        f"/v1/issues/{issue_id}/responses/{reply.json()['id']}",
        json={"published_at": utcnow().isoformat()},
        headers={"X-CSRF-Token": csrf},
    )
    assert published.json()["published"] is True

    metrics = (await client.get(f"/v1/issues/{issue_id}/response-metrics")).json()
    assert metrics["time_to_detect_seconds"] == pytest.approx(3600, abs=5)
    assert metrics["time_to_alert_seconds"] == pytest.approx(7200, abs=5)
    assert metrics["time_to_respond_seconds"] == pytest.approx(4 * 3600, abs=5)
    assert metrics["time_to_triage_seconds"] > 0
    # the window is as long as the time since the response (2 h): one article after it
    assert metrics["after"]["articles"] == 1 and metrics["after"]["negative_share"] == 1.0

    stats = (await client.get("/v1/response-stats?weeks=2")).json()
    assert stats["issues"] == 1 and stats["responded"] == 1
    assert stats["median_time_to_respond_seconds"] == pytest.approx(4 * 3600, abs=5)

    pdf = await client.get("/v1/reports/daily?format=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    pypdf = pytest.importorskip("pypdf")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (
        "Laporan harian",
        "Banjir Jakarta",
        "Pemprov DKI",
        "Siaran pers",
        "Portal Mati",
    ):
        assert expected in text, expected
    html = await client.get("/v1/reports/weekly?format=html&lang=en")
    assert "Weekly report" in html.text and "Banjir Jakarta" in html.text


async def test_pages_follow_the_session_and_its_key(
    client: httpx.AsyncClient, db: Database
) -> None:
    async with db.writer.begin() as session:
        _key, viewer_secret = await make_key(session, Role.VIEWER)
        _key, admin_secret = await make_key(session, Role.ADMIN)
    csrf = await sign_in(client, viewer_secret)
    page = await client.get("/")
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert '<html lang="id">' in page.text and "Papan isu" in page.text
    assert 'href="/keys"' not in page.text  # a viewer's page offers no key management
    # the viewer's session has the viewer's role in the API
    assert (
        await client.post(
            "/v1/watchlists", json={"name": "x", "query": "x"}, headers={"X-CSRF-Token": csrf}
        )
    ).status_code == 403
    english = await client.get("/lang?to=en&next=/")
    assert english.headers["location"] == "/"
    assert "Issue board" in (await client.get("/")).text
    for hostile in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        assert (await client.get("/lang", params={"to": "id", "next": hostile})).headers[
            "location"
        ] == "/"
    # a login posted from another site is refused
    foreign = await client.post(
        "/login",
        content=f"key={admin_secret}",
        headers={**FORM, "origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    # signing out ends the session for the API too
    token = client.cookies["pantau_session"]
    out = await client.post("/logout", content=f"csrf={csrf}", headers=FORM)
    assert out.status_code == 303 and "pantau_session" not in client.cookies, out.headers
    client.cookies.set("pantau_session", token)  # a stolen copy of the cookie
    reused = await client.get("/v1/issues")
    assert reused.status_code == 401
