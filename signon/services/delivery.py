"""Delivery packs: the statement and its list in one archive that proves itself.

A pack is a ZIP holding the print-ready statement (text, footnotes, every
named signatory grouped by country), the list as CSV and JSON, a README,
and ``manifest.json``: the counts, the time, and the size and SHA-256 of
every other file. ``manifest.sig`` is the site's Ed25519 signature of the
manifest's exact bytes. Whoever holds the site's public key (published at
``/pack/key.pem``) can check that no file was changed, added or removed.

Every file is written from one reading of the list, so they agree with each
other whatever happens to the list meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, render_template
from flask_babel import format_decimal
from flask_babel import gettext as _

from ..database import utcnow
from ..models.signature import fold_name
from . import exports, listing
from .countries import country_name
from .languages import speaking
from .markdown import render_markdown
from .public import PublicSignatory
from .statements import StatementView, Tally, tally
from .urls import public_url

FORMAT = "signon-delivery-pack/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
# Bounds on what checking an uploaded pack may read (see ``verify``).
MAX_ENTRIES = 16
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_SIGNATURE_BYTES = 1024


def signing_key() -> Ed25519PrivateKey:
    """The site's Ed25519 key: PACK_SIGNING_KEY if set, else derived from SECRET_KEY.

    Derived (HKDF, its own label) so that a site signs packs with nothing
    more to set up or back up; an operator who rotates SECRET_KEY sets
    PACK_SIGNING_KEY to the old derivation's seed to keep old packs valid
    (``flask statements pack-key --seed``).
    """
    configured = current_app.config.get("PACK_SIGNING_KEY")
    if configured:
        seed = base64.b64decode(configured, validate=True)
    else:
        seed = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"signon delivery pack key v1"
        ).derive(current_app.config["SECRET_KEY"].encode())
    return Ed25519PrivateKey.from_private_bytes(seed)


def seed_of(key: Ed25519PrivateKey) -> str:
    """The key's 32-byte seed in base64: what PACK_SIGNING_KEY holds."""
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode()


def public_key_pem(key: Ed25519PublicKey | None = None) -> bytes:
    """The public half, as PEM (what ``openssl`` and the verify command read)."""
    key = key or signing_key().public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: Ed25519PublicKey | None = None) -> str:
    """SHA-256 of the raw public key, in groups of four: for reading aloud on the phone."""
    key = key or signing_key().public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


@dataclass(frozen=True)
class CountryGroup:
    """One country's signatories in the printed list."""

    code: str
    signatories: list[PublicSignatory]


def _groups(signatories: Iterable[PublicSignatory], language: str) -> list[CountryGroup]:
    by_country: dict[str, list[PublicSignatory]] = {}
    for signatory in signatories:
        by_country.setdefault(signatory.country, []).append(signatory)
    ordered = sorted(by_country, key=lambda code: fold_name(country_name(code, language)))
    return [CountryGroup(code, by_country[code]) for code in ordered]


def _readme(statement: StatementView, generated: str) -> str:
    key_url = public_url("public.pack_key")
    check_url = public_url("public.pack_check")
    return (
        f"{statement.title}\n"
        f"Delivery pack made by {public_url('public.statement', slug=statement.slug)}"
        f" on {generated}.\n\n"
        "statement.html   the statement, its footnotes, and every named signatory by country\n"
        "signatories.csv  the same list, one signatory a row (opens in any spreadsheet)\n"
        "signatories.json the same list, for programs\n"
        "manifest.json    the counts, and the size and SHA-256 fingerprint of each file\n"
        "manifest.sig     the site's Ed25519 signature of manifest.json\n\n"
        "To check that nothing in this pack was changed, added or removed, upload the\n"
        f"ZIP file at {check_url}\n"
        f"or check it yourself against the site's public key, {key_url}:\n\n"
        f"  curl -o key.pem {key_url}\n"
        "  base64 -d manifest.sig > manifest.sig.bin\n"
        "  openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in manifest.json"
        " -sigfile manifest.sig.bin\n"
        "  sha256sum statement.html signatories.csv signatories.json README.txt\n\n"
        "and compare the sums with those in manifest.json.\n"
    )


@dataclass
class Pack:
    """What was written: the manifest, for the command's and the page's summary."""

    manifest: dict[str, Any]
    name: str


def build(statement: StatementView, out: IO[bytes]) -> Pack:
    """Write the pack of ``statement`` to ``out`` (a file open for binary writing)."""
    figures: Tally = tally(statement)
    signatories = list(listing.stream(statement))  # one reading for every file
    now = utcnow()
    generated = exports.timestamp(now) or ""
    # The document is for the statement's addressees: in the statement's own
    # language, whoever makes it (an admin's browser may speak another).
    with speaking(statement.language):
        document = render_template(
            "pack/statement.html",
            statement=statement,
            body=render_markdown(statement.body),
            tally=figures,
            listed=len(signatories),
            groups=_groups(signatories, statement.language),
            generated=now,
            page_url=public_url("public.statement", slug=statement.slug),
        )
    files: dict[str, bytes] = {
        "statement.html": document.encode(),
        "signatories.csv": "".join(
            exports.csv_chunks(signatories, [q.label for q in statement.public_questions])
        ).encode(),
        "signatories.json": b"".join(
            exports.json_chunks(
                {"statement": {"slug": statement.slug, "title": statement.title}},
                signatories,
            )
        ),
        "README.txt": _readme(statement, generated).encode(),
    }
    manifest = {
        "format": FORMAT,
        "statement": {
            "slug": statement.slug,
            "title": statement.title,
            "publisher": statement.publisher,
            "url": public_url("public.statement", slug=statement.slug),
        },
        "generated_at": generated,
        "counts": {
            "signatories": figures.signatories,
            "organisations": figures.organisations,
            "people": figures.people,
            "countries": figures.countries,
            "unnamed": figures.unnamed,
            "listed": len(signatories),
        },
        "files": [
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files.items()
        ],
        "key": {
            "algorithm": "Ed25519",
            "fingerprint": fingerprint(),
            "url": public_url("public.pack_key"),
        },
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n"
    signature = base64.b64encode(signing_key().sign(manifest_bytes)) + b"\n"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*files.items(), (MANIFEST, manifest_bytes), (SIGNATURE, signature)]:
            info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    name = f"{statement.slug}-delivery-pack-{now:%Y%m%d-%H%M%S}.zip"
    return Pack(manifest, name)


@dataclass
class Verdict:
    """What checking a pack found: ``problems`` is empty when it is intact."""

    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None

    @property
    def intact(self) -> bool:
        return not self.problems and self.manifest is not None


def _entry_count(pack: IO[bytes]) -> int | None:
    """How many entries the archive's end record announces; None if it has none.

    Read before ``zipfile`` builds an object for every entry: a 64 MB upload
    could otherwise announce a million of them. A ZIP64 archive (more than
    65,535 entries or 4 GB) announces 0xFFFF here, which no pack needs.
    """
    pack.seek(0, 2)
    size = pack.tell()
    tail_length = min(size, 22 + 65_535)  # the end record, and a comment at most this long
    pack.seek(size - tail_length)
    tail = pack.read(tail_length)
    pack.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    return int.from_bytes(tail[at + 10 : at + 12], "little")


def verify(pack: IO[bytes], key: Ed25519PublicKey | None = None) -> Verdict:
    """Check a pack against the site's public key (or ``key``): signature, files, sums.

    Built to read untrusted uploads: the entries are counted before they are
    listed, nothing is unpacked before the manifest's signature holds, and
    then no entry is unpacked past the size the signed manifest gives it.
    """
    key = key or signing_key().public_key()
    verdict = Verdict()
    entries = _entry_count(pack)
    if entries is None:
        verdict.problems.append(_("This is not a ZIP archive."))
        return verdict
    if entries > MAX_ENTRIES:
        verdict.problems.append(
            _("The archive holds %(files)s files; a pack holds 6.", files=format_decimal(entries))
        )
        return verdict
    try:
        with zipfile.ZipFile(pack) as archive:
            _check(archive, key, verdict)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
        verdict.problems.append(_("The archive is damaged: a file in it cannot be read."))
    return verdict


def _read_at_most(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    if info.file_size > limit:
        return None
    with archive.open(info) as member:
        data = member.read(limit + 1)
    return data if len(data) <= limit else None


def _check(archive: zipfile.ZipFile, key: Ed25519PublicKey, verdict: Verdict) -> None:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        # Readers disagree on which of two same-named files they show: one
        # could be checked here while another is read there.
        verdict.problems.append(
            _("The archive holds two files with one name: it was tampered with.")
        )
        return
    members = dict(zip(names, infos, strict=True))
    if MANIFEST not in members or SIGNATURE not in members:
        verdict.problems.append(_("The archive holds no signed manifest: it is not a pack."))
        return
    manifest_bytes = _read_at_most(archive, members[MANIFEST], MAX_MANIFEST_BYTES)
    signature = _read_at_most(archive, members[SIGNATURE], MAX_SIGNATURE_BYTES)
    try:
        if manifest_bytes is None or signature is None:
            raise InvalidSignature
        key.verify(base64.b64decode(signature.strip(), validate=True), manifest_bytes)
        manifest = json.loads(manifest_bytes)
        listed = {entry["name"]: entry for entry in manifest["files"]}
    except (InvalidSignature, ValueError, KeyError, TypeError):
        verdict.problems.append(
            _(
                "The manifest's signature is not this site's: the manifest was changed, "
                "or the pack was not made here."
            )
        )
        return
    verdict.manifest = manifest
    for name in sorted(set(members) - set(listed) - {MANIFEST, SIGNATURE}):
        verdict.problems.append(
            _("“%(name)s” was added: the manifest does not list it.", name=name)
        )
    for name, entry in listed.items():
        info = members.get(name)
        if info is None:
            verdict.problems.append(_("“%(name)s” is missing.", name=name))
            continue
        if info.file_size != entry["bytes"]:
            verdict.problems.append(
                _("“%(name)s” was changed since the pack was made.", name=name)
            )
            continue
        digest = hashlib.sha256()
        with archive.open(info) as member:
            for chunk in iter(lambda: member.read(1 << 16), b""):
                digest.update(chunk)
        if digest.hexdigest() != entry["sha256"]:
            verdict.problems.append(
                _("“%(name)s” was changed since the pack was made.", name=name)
            )
