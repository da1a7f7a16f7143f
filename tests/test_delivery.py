"""Delivery packs: made by the command and the admin button, checked, refused when altered."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from factories import make_signature, make_statement

from signon.services import delivery

FILES = {"statement.html", "signatories.csv", "signatories.json", "README.txt"}


@pytest.fixture
def signed(app) -> None:
    with app.app_context():
        statement = make_statement(body="Our text.[^1]\n\n[^1]: Its source.\n")
        make_signature(statement.id, org_name="Syndicat des Dockers", country="FR", city="Lyon")
        make_signature(statement.id, org_name="Hafenarbeiter", country="DE")
        make_signature(statement.id, org_name="Профсоюз", country="RU")
        make_signature(
            statement.id, org_name="Quiet", show_name=False, contact_name="Secret Person"
        )


def _pack(runner, tmp_path: Path) -> Path:
    target = tmp_path / "pack.zip"
    result = runner.invoke(args=["statements", "pack", "test-statement", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "3 named of 4 signatures" in result.output
    return target


def _rewrite(source: Path, target: Path, change) -> Path:
    """A copy of the pack with ``change(name, data)`` applied to each member (None drops it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info.filename, data)
    return target


def test_a_pack_holds_the_statement_the_list_and_a_signed_manifest(app, runner, signed, tmp_path):
    target = _pack(runner, tmp_path)
    with zipfile.ZipFile(target) as archive:
        assert set(archive.namelist()) == FILES | {"manifest.json", "manifest.sig"}
        html = archive.read("statement.html").decode()
        manifest = json.loads(archive.read("manifest.json"))
        everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "Its source." in html and 'class="footnotes' in html
    assert html.index("<h3>France (1)</h3>") < html.index("<h3>Germany (1)</h3>")
    assert html.index("<h3>Germany (1)</h3>") < html.index("<h3>Russian Federation (1)</h3>")
    assert "Syndicat des Dockers" in html and "Quiet" not in html
    assert "<link" not in html and "<script" not in html and "src=" not in html
    assert manifest["counts"] == {
        "signatories": 4,
        "organisations": 4,
        "people": 0,
        "countries": 3,
        "unnamed": 1,
        "listed": 3,
    }
    assert {entry["name"] for entry in manifest["files"]} == FILES
    assert manifest["key"]["url"] == "http://signon.test/pack/key.pem"
    for secret in ("Secret Person", "@example.org"):
        assert secret not in everything


def test_the_command_verifies_an_intact_pack(runner, signed, tmp_path):
    target = _pack(runner, tmp_path)
    result = runner.invoke(args=["statements", "verify-pack", str(target)])
    assert result.exit_code == 0 and "intact" in result.output, result.output


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda name, data: (
                data.replace(b"Hafenarbeiter", b"Hafenarbeitet")
                if name == "signatories.csv"
                else data
            ),
            "“signatories.csv” was changed",
        ),
        (
            lambda name, data: None if name == "signatories.json" else data,
            "“signatories.json” is missing",
        ),
        (
            lambda name, data: (
                data.replace(b'"listed": 3', b'"listed": 4') if name == "manifest.json" else data
            ),
            "signature is not this site's",
        ),
    ],
    ids=["one byte of the CSV", "a file removed", "the manifest edited"],
)
def test_the_command_refuses_an_altered_pack(runner, signed, tmp_path, change, problem):
    altered = _rewrite(_pack(runner, tmp_path), tmp_path / "altered.zip", change)
    result = runner.invoke(args=["statements", "verify-pack", str(altered)])
    assert result.exit_code == 1 and problem in result.output


def test_a_file_added_to_a_pack_is_found(runner, signed, tmp_path):
    source = _pack(runner, tmp_path)
    added = tmp_path / "added.zip"
    _rewrite(source, added, lambda name, data: data)
    with zipfile.ZipFile(added, "a") as archive:
        archive.writestr("more-signatories.csv", "name\nFake Union\n")
    result = runner.invoke(args=["statements", "verify-pack", str(added)])
    assert result.exit_code == 1 and "“more-signatories.csv” was added" in result.output


def test_a_pack_signed_by_another_key_is_refused(app, signed, tmp_path, runner):
    source = _pack(runner, tmp_path)
    other = Ed25519PrivateKey.generate()

    def resign(name: str, data: bytes) -> bytes:
        if name == "manifest.sig":
            with zipfile.ZipFile(source) as archive:
                return base64.b64encode(other.sign(archive.read("manifest.json")))
        return data

    forged = _rewrite(source, tmp_path / "forged.zip", resign)
    result = runner.invoke(args=["statements", "verify-pack", str(forged)])
    assert result.exit_code == 1 and "not this site's" in result.output
    key = tmp_path / "other.pem"
    key.write_bytes(delivery.public_key_pem(other.public_key()))
    checked = runner.invoke(args=["statements", "verify-pack", str(forged), "--key", str(key)])
    assert checked.exit_code == 0


def test_the_public_key_and_the_check_page(app, client, runner, signed, tmp_path):
    key = client.get("/pack/key.pem")
    assert key.status_code == 200 and key.data.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert key.cache_control.public
    page = client.get("/pack").get_data(as_text=True)
    with app.app_context():
        assert delivery.fingerprint() in page
    source = _pack(runner, tmp_path)
    good = client.post("/pack", data={"pack": (source.open("rb"), "pack.zip")})
    assert good.status_code == 200 and "pack.zip is intact." in good.get_data(as_text=True), (
        good.get_data(as_text=True)[-1500:]
    )
    altered = _rewrite(
        source, tmp_path / "bad.zip", lambda n, d: d + b" " if n == "README.txt" else d
    )
    bad = client.post("/pack", data={"pack": (altered.open("rb"), "bad.zip")})
    html = bad.get_data(as_text=True)
    assert "bad.zip cannot be trusted." in html and "README.txt” was changed" in html
    junk = client.post("/pack", data={"pack": (io.BytesIO(b"not a zip"), "x.zip")})
    assert "This is not a ZIP archive." in junk.get_data(as_text=True)
    assert client.post("/pack", data={}).status_code == 400


def test_admins_download_the_pack_and_it_is_audited(app, admin_client, signed):
    import sqlalchemy as sa

    from signon.extensions import db
    from signon.models import AuditAction, AuditEvent

    html = admin_client.get("/admin/statements").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = admin_client.post(
        "/admin/statements/test-statement/pack", data={"csrf_token": token}
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.data
    response.close()  # as a WSGI server does: it closes the spooled file
    assert delivery.verify(io.BytesIO(data), _site_key(app)).intact
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == AuditAction.export)
        )
        assert event is not None and event.detail == "delivery pack"
    assert admin_client.post("/admin/statements/test-statement/pack").status_code == 400


def _site_key(app):
    with app.app_context():
        return delivery.signing_key().public_key()


def test_a_configured_key_signs_and_a_derived_one_is_stable(app_factory):
    seed = base64.b64encode(bytes(range(32))).decode()
    first = app_factory(PACK_SIGNING_KEY=seed)
    with first.app_context():
        configured = delivery.fingerprint()
        assert delivery.seed_of(delivery.signing_key()) == seed
    second = app_factory()
    with second.app_context():
        derived = delivery.fingerprint()
    third = app_factory()
    with third.app_context():
        assert delivery.fingerprint() == derived != configured


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_a_second_file_with_a_signed_name_is_refused(runner, signed, tmp_path):
    """Readers differ on which of two same-named files they show: refuse both."""
    source = _pack(runner, tmp_path)
    doubled = tmp_path / "doubled.zip"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(doubled, "w") as new:
        new.writestr("statement.html", "<h1>A forged statement</h1>")
        for info in old.infolist():
            new.writestr(info.filename, old.read(info.filename))
    result = runner.invoke(args=["statements", "verify-pack", str(doubled)])
    assert result.exit_code == 1 and "two files with one name" in result.output


def test_hostile_archives_are_refused_without_unpacking_them(app, runner, signed, tmp_path):
    with app.app_context():
        # Many entries: refused from the end record, before any is listed.
        many = io.BytesIO()
        with zipfile.ZipFile(many, "w") as archive:
            for n in range(200):
                archive.writestr(f"f{n}", b"")
        assert "holds 200 files" in delivery.verify(many).problems[0]
        # A manifest that unpacks to 50 MB of zeros is never read.
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", b"\0" * (50 * 1024 * 1024))
            archive.writestr("manifest.sig", b"AAAA")
        assert bomb.getbuffer().nbytes < 1_000_000
        assert "signature is not this site's" in delivery.verify(bomb).problems[0]
        # A damaged member: an error in the answer, never an exception.
        good = io.BytesIO(_pack(runner, tmp_path).read_bytes())
        data = bytearray(good.getvalue())
        start = data.find(b"signatories.csv") + 40
        data[start : start + 200] = b"\xff" * 200
        verdict = delivery.verify(io.BytesIO(bytes(data)))
        assert not verdict.intact and verdict.problems
        assert delivery.verify(io.BytesIO(b"")).problems == ["This is not a ZIP archive."]
