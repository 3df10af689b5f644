"""Photo evidence: upload by sha-256 (retried, cut short, duplicated, refused), records
that name photos, and who may read a photo (the scope matrix)."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from healthwise.photos import service
from tests.conftest import EXTERNAL_URL, Phone, checklist_ids, new_id, sign_in


def jpeg(colour=(200, 40, 40), size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=80)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(client, token, data, name=None, media_type="image/jpeg", headers=None):
    return client.put(f"/api/v1/photos/{name or sha(data)}", data=data,
                      headers={"Authorization": f"Bearer {token}", "Content-Type": media_type,
                               **(headers or {})})


def get(client, token, name):
    return client.get(f"/api/v1/photos/{name}", headers={"Authorization": f"Bearer {token}"})


def stored(app) -> list[Path]:
    """Every file of the photos folder, hidden ones (a half-written upload) included."""
    root = Path(app.config["PHOTOS_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def named(phone: Phone, *photos: bytes) -> str:
    """Sync an answer that names the photos (the phone syncs records, then photos)."""
    _, _, changes = phone.round_changes(n_answers=1)
    changes[-1]["fields"]["photos"] = [sha(p) for p in photos]
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}
    return changes[-1]["id"]


def test_a_photo_is_stored_once_whatever_the_retries(app, client, phone):
    data = jpeg()
    named(phone, data)
    first = put(client, phone.token, data)
    assert first.status_code == 201
    assert [p.name for p in stored(app)] == [sha(data)]
    assert stored(app)[0].parent.name == sha(data)[:2]
    for _ in range(3):  # a retry after a lost reply, or another phone's copy
        again = put(client, phone.token, data)
        assert again.status_code == 200
    assert [p.read_bytes() for p in stored(app)] == [data]


def test_a_body_shorter_than_its_content_length_is_refused_and_nothing_is_stored(
        app, client, phone):
    data = jpeg()
    named(phone, data)
    cut = data[: len(data) // 2]
    # The connection dropped: the body ends before the Content-Length the phone announced.
    response = client.put(f"/api/v1/photos/{sha(data)}", input_stream=io.BytesIO(cut),
                          headers={"Authorization": f"Bearer {phone.token}",
                                   "Content-Type": "image/jpeg"},
                          environ_overrides={"CONTENT_LENGTH": str(len(data))})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "incomplete"
    assert stored(app) == []
    # The phone's retry, whole, stores it.
    assert put(client, phone.token, data).status_code == 201


def test_a_body_whose_sha256_differs_from_its_name_is_refused(app, client, phone):
    data, other = jpeg(), jpeg((10, 200, 10))
    named(phone, data, other)
    response = put(client, phone.token, other, name=sha(data))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "sha256_mismatch"
    assert stored(app) == []
    assert get(client, phone.token, sha(data)).status_code == 404


@pytest.mark.parametrize("case, status, code", [
    ("name", 404, "not_referenced"),
    ("upper", 404, "not_referenced"),
    ("never named", 404, "not_referenced"),
    ("type", 415, "unsupported_media_type"),
    ("not an image", 415, "unsupported_media_type"),
    ("too large", 413, "too_large"),
])
def test_bad_uploads_get_a_clear_error_and_store_nothing(app, client, phone, case, status, code):
    data = jpeg()
    name, media_type = sha(data), "image/jpeg"
    if case == "name":
        name = "abc"
    elif case == "upper":
        name = sha(data).upper()
    elif case == "type":
        media_type = "text/plain"
    elif case == "not an image":
        data = b"%PDF-1.4 not a photo at all"
        name = sha(data)
    elif case == "too large":
        data = b"\xff\xd8\xff" + b"\0" * service.MAX_PHOTO_BYTES
        name = sha(data)
    if case != "never named" and len(name) == 64 and name.islower():
        named(phone, data)
    response = put(client, phone.token, data, name=name, media_type=media_type)
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert body["code"] == code and body["message"]
    assert stored(app) == []


def test_uploads_need_a_phone_token(app, client, make_user):
    data = jpeg()
    assert client.put(f"/api/v1/photos/{sha(data)}", data=data,
                      content_type="image/jpeg").status_code == 401
    assert stored(app) == []


def test_a_photo_name_is_checked_even_when_named(app, client, phone):
    """The service refuses a name that is no sha-256 by itself (a record cannot name one)."""
    from healthwise.errors import BadRequest

    with app.test_request_context():
        with pytest.raises(BadRequest) as refused:
            service.receive("../../etc", "image/jpeg", 3, io.BytesIO(b"abc"))
    assert refused.value.code == "bad_photo_name"
    assert stored(app) == []


def _round_with_photo(phone: Phone, name: str, checkpoint_id: str, on="answer"):
    assessment_id, response_id, changes = phone.round_changes(
        checkpoint_ids=[checkpoint_id])
    if on == "answer":
        changes[-1]["fields"]["photos"] = [name]
        record_id = changes[-1]["id"]
    else:
        record_id = new_id()
        changes.append(phone.change("action_item", record_id, {
            "assessment_id": assessment_id, "checkpoint_id": checkpoint_id,
            "action": "Fix it", "photos": [name]}))
    results = phone.sync(changes)["results"]
    assert {r["status"] for r in results} == {"applied"}, results
    return assessment_id, record_id


def test_a_record_names_a_photo_before_it_arrives(app, client, phone):
    data = jpeg()
    name = sha(data)
    _, answer_id = _round_with_photo(phone, name, checklist_ids()[0])
    # The record synced; the photo is not there yet: the phone shows a placeholder.
    pending = get(client, phone.token, name)
    assert pending.status_code == 404
    assert pending.get_json()["error"]["code"] == "photo_pending"
    pulled = Phone(client, phone.facility, phone.token, phone.device_id).sync()["changes"]
    answer = next(c for c in pulled if c["id"] == answer_id)
    assert answer["fields"]["photos"] == [name]
    assert put(client, phone.token, data).status_code == 201
    found = get(client, phone.token, name)
    assert found.status_code == 200 and found.data == data
    assert found.mimetype == "image/jpeg"
    assert "immutable" in found.headers["Cache-Control"]
    assert client.get(f"/api/v1/photos/{name}", headers={
        "Authorization": f"Bearer {phone.token}",
        "If-None-Match": found.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("photos, code", [
    ("f" * 64, "bad_photos"),
    (["F" * 64], "bad_photos"),
    (["abc"], "bad_photos"),
    ([1], "bad_photos"),
    (["a" * 64, "b" * 64, "c" * 64, "d" * 64], "bad_photos"),
    (["a" * 64, "a" * 64], "bad_photos"),
    ({"x": 1}, "bad_photos"),
])
def test_a_bad_photo_list_is_rejected_with_its_code(app, phone, photos, code):
    _, _, changes = phone.round_changes(n_answers=1)
    changes[-1]["fields"]["photos"] = photos
    results = phone.sync(changes)["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    assert results[-1]["error"]["code"] == code
    assert "photos" in results[-1]["error"]["message"]


def test_three_photos_and_none_are_fine(app, phone):
    _, _, changes = phone.round_changes(n_answers=2)
    changes[-2]["fields"]["photos"] = ["a" * 64, "b" * 64, "c" * 64]
    changes[-1]["fields"]["photos"] = []
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}


def _sensitive_and_plain():
    from healthwise.checklists.registry import registry_for
    from healthwise.config import CHECKLISTS_DIR

    checklist = registry_for(str(CHECKLISTS_DIR)).get("healthwise")
    sensitive = next(i for i, c in checklist.checkpoints.items() if c.get("sensitive"))
    plain = next(i for i, c in checklist.checkpoints.items() if not c.get("sensitive"))
    return sensitive, plain


def test_who_may_read_a_photo(app, client, make_facility, make_token, make_user):
    from healthwise.facilities.models import District

    sensitive, plain = _sensitive_and_plain()
    north, south = District(name="North"), District(name="South")
    here = make_facility("Here", north)
    neighbour = make_facility("Neighbour", north)
    far = make_facility("Far away", south)
    phone = Phone(client, here, make_token(here))
    photos = {kind: jpeg((i * 60, 90, 90)) for i, kind in enumerate(
        ["answer", "item", "sensitive item"])}
    _round_with_photo(phone, sha(photos["answer"]), plain, on="answer")
    _round_with_photo(phone, sha(photos["item"]), plain, on="action_item")
    _round_with_photo(phone, sha(photos["sensitive item"]), sensitive, on="action_item")
    for data in photos.values():
        assert put(client, phone.token, data).status_code == 201
    never_named = jpeg((1, 2, 3))
    assert put(client, phone.token, never_named).status_code == 404
    assert put(client, make_token(neighbour), photos["item"]).status_code == 404

    # Phones: their own facility's records only.
    for data in photos.values():
        assert get(client, phone.token, sha(data)).status_code == 200
    assert get(client, phone.token, sha(never_named)).status_code == 404
    other = make_token(neighbour)
    for data in [*photos.values(), never_named]:
        response = get(client, other, sha(data))
        assert response.status_code == 404, "another facility's phone"
    assert get(client, phone.token, "x").status_code == 404

    # Managers (pages): action items of their districts, never a sensitive checkpoint's.
    manager, stranger = make_user("manager", [north]), make_user("manager", [south])
    admin = make_user("admin")
    for user, expected in [(manager, {"item"}), (admin, {"item"}), (stranger, set())]:
        browser = app.test_client()
        sign_in(browser, user)
        seen = {kind for kind, data in photos.items()
                if browser.get(f"/manage/photos/{sha(data)}").status_code == 200}
        assert seen == expected, user.role
        assert browser.get(f"/manage/photos/{sha(never_named)}").status_code == 404
    assert app.test_client().get(f"/manage/photos/{sha(photos['item'])}").status_code == 302
    # A manager's API token is not a phone's: the phones' route refuses it.
    with app.app_context():
        from healthwise.devices.service import create_user_token
        from healthwise.extensions import db

        _, secret = create_user_token(db.session.merge(manager), "api")
        db.session.commit()
    assert get(client, secret, sha(photos["item"])).status_code == 403
    assert far.id != here.id


@pytest.mark.skipif(bool(EXTERNAL_URL), reason="restore replaces a SQLite file")
def test_backup_and_restore_carry_the_uploaded_photos(app, client, phone, tmp_path):
    from healthwise.backup import service as backup

    data = jpeg()
    _round_with_photo(phone, sha(data), checklist_ids()[0])
    assert put(client, phone.token, data).status_code == 201
    photos = Path(app.config["PHOTOS_DIR"])
    path, manifest = backup.backup(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "b.zip",
                                   photos)
    assert manifest.photos == 1
    with zipfile.ZipFile(path) as archive:
        assert archive.read(f"photos/{sha(data)[:2]}/{sha(data)}") == data
    # The folder is lost; the restore puts the photo back where the server reads it.
    for p in stored(app):
        p.unlink()
    assert get(client, phone.token, sha(data)).status_code == 404
    with app.app_context():
        from healthwise.extensions import db

        db.session.remove()
        db.engine.dispose()
    done = backup.restore(path, app.config["SQLALCHEMY_DATABASE_URI"], photos)
    assert done["photos_added"] == 1
    assert get(client, phone.token, sha(data)).data == data


def test_a_half_written_upload_is_not_in_a_backup(app, tmp_path):
    from healthwise.backup import service as backup

    root = Path(app.config["PHOTOS_DIR"]) / "ab"
    root.mkdir(parents=True)
    (root / f".{'ab' * 32}.1234.part").write_bytes(b"half")
    _, manifest = backup.backup(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "b.zip",
                                root.parent)
    assert manifest.photos == 0


# -- the plan PDF ---------------------------------------------------------------------


def _photo_document(photos_by_item, lang="en"):
    from healthwise.plans.document import ActionItem, PlanDocument

    items = tuple(ActionItem(rank=n + 1, checkpoint_id=f"HZ-0{n + 1}",
                             checkpoint_text="Keep exits free of obstacles",
                             action=f"Clear the corridor {n + 1}", responsible="Head nurse",
                             due="1 March 2027", cost="low", status="planned",
                             photos=tuple(photos))
                  for n, photos in enumerate(photos_by_item))
    return PlanDocument(facility="Riverside Health Centre", district="North",
                        round_title="Baseline", kind="baseline", date="20 November 2026",
                        n_participants=3, items=items)


def _render_png(pdf: bytes, tmp_path: Path, name: str, dpi: int = 60) -> Image.Image:
    import subprocess

    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(source),
                    str(tmp_path / name)], check=True)
    return Image.open(tmp_path / f"{name}.png").convert("RGB")


def _pure(image: Image.Image, colour, tolerance=40) -> int:
    """Count the pixels of about one colour."""
    return sum(1 for pixel in image.get_flattened_data()
               if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True)))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_plan_pdf_shows_each_items_photos_small_beside_it(tmp_path, lang):
    from healthwise.plans.pdf import render_plan

    red, blue = jpeg((220, 20, 20), (1280, 960)), jpeg((20, 20, 220), (960, 1280))
    plain = render_plan(_photo_document([[], []]), lang)
    pdf = render_plan(_photo_document([[red, blue], []]), lang)
    # Each photo is embedded once, shrunk: far smaller than the phone's 200 KB.
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 2
    assert all(max(image.image.size) <= 200 for image in images)
    assert len(pdf) - len(plain) < 40_000
    page = _render_png(pdf, tmp_path, f"plan-{lang}", dpi=100)
    without = _render_png(plain, tmp_path, f"plain-{lang}", dpi=100)
    assert _pure(without, (220, 20, 20)) == 0
    reds, blues = _pure(page, (220, 20, 20)), _pure(page, (20, 20, 220))
    # About 13 mm squares at 100 dpi: some 50 x 37 pixels for a landscape photo.
    assert 1000 < reds < 3500 and 1000 < blues < 3500
    # Beside their item: in the action column, in the first item's row only.
    box = [(x, y) for y in range(page.height) for x in range(page.width)
           if all(abs(a - b) <= 40 for a, b in zip(page.getpixel((x, y)), (220, 20, 20),
                                                   strict=True))]
    xs, ys = [x for x, _ in box], [y for _, y in box]
    if lang == "en":
        assert page.width * 0.2 < min(xs) < page.width * 0.6
    else:  # mirrored: the action column is on the right half
        assert page.width * 0.4 < max(xs) < page.width * 0.8
    assert max(ys) - min(ys) < 60


def test_a_photo_that_is_not_an_image_is_left_out_of_the_pdf(tmp_path):
    from healthwise.plans.pdf import render_plan

    pdf = render_plan(_photo_document([[b"\xff\xd8\xff not really a jpeg", jpeg()]]), "en")
    import pypdf

    images = [i for p in pypdf.PdfReader(io.BytesIO(pdf)).pages for i in p.images]
    assert len(images) == 1


def test_the_phone_pdf_has_the_photos_that_arrived(app, client, phone, tmp_path):
    import pypdf

    _, plain = _sensitive_and_plain()
    arrived, pending = jpeg((220, 20, 20), (800, 600)), jpeg((20, 200, 20))
    assessment_id, _ = _round_with_photo(phone, sha(arrived), plain, on="action_item")
    item = new_id()
    phone.sync([phone.change("action_item", item, {
        "assessment_id": assessment_id, "action": "Second", "photos": [sha(pending)]})])
    assert put(client, phone.token, arrived).status_code == 201
    response = client.get(f"/api/v1/assessments/{assessment_id}/plan.pdf?lang=fr",
                          headers={"Authorization": f"Bearer {phone.token}"})
    assert response.status_code == 200
    images = [i for p in pypdf.PdfReader(io.BytesIO(response.data)).pages for i in p.images]
    assert len(images) == 1  # the pending photo is simply not there yet
    page = _render_png(response.data, tmp_path, "phone-plan", dpi=100)
    assert _pure(page, (220, 20, 20)) > 500


def test_the_district_facility_page_shows_action_photos_never_sensitive_ones(
        app, client, make_facility, make_token, make_user):
    from healthwise.facilities.models import District

    sensitive, plain = _sensitive_and_plain()
    north = District(name="North")
    here = make_facility("Here", north)
    phone = Phone(client, here, make_token(here))
    arrived, pending, hidden, answer = (jpeg((i * 50, 10, 10)) for i in range(1, 5))
    assessment_id, _ = _round_with_photo(phone, sha(arrived), plain, on="action_item")
    phone.sync([
        phone.change("action_item", new_id(), {"assessment_id": assessment_id,
                                               "checkpoint_id": plain, "action": "Second",
                                               "photos": [sha(pending)]}),
        phone.change("action_item", new_id(), {"assessment_id": assessment_id,
                                               "checkpoint_id": sensitive, "action": "Third",
                                               "photos": [sha(hidden)]}),
    ])
    _round_with_photo(phone, sha(answer), plain, on="answer")
    for data in (arrived, hidden, answer):
        assert put(client, phone.token, data).status_code == 201
    browser = app.test_client()
    sign_in(browser, make_user("manager", [north]))
    page = browser.get(f"/manage/facilities/{here.id}/plans").get_data(as_text=True)
    assert f'src="/manage/photos/{sha(arrived)}"' in page, page[page.find("<main"):]
    assert sha(pending) not in page and "Waiting for the photo" in page
    assert sha(hidden) not in page and sha(answer) not in page
    shown = browser.get(f"/manage/photos/{sha(arrived)}")
    assert shown.status_code == 200 and shown.data == arrived
    assert "immutable" in shown.headers["Cache-Control"]


# -- under gunicorn: a real connection cut mid-upload ------------------------------------


def test_an_upload_cut_mid_body_under_gunicorn_stores_nothing_and_a_retry_does(
        tmp_path, live_database_url):
    import socket
    import time
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from tests.live import cli, served

    instance = tmp_path / "instance"
    with served(live_database_url, instance, workers=2) as (server, env):
        facility_id = cli(env, "facility", "create", "--district", "D", "--name", "F").strip()
        code = cli(env, "code", "create", "--facility", facility_id).strip()
        token = requests.post(f"{server.url}/api/v1/enrol", timeout=30,
                              json={"code": code, "device_name": "p"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        data = jpeg((90, 30, 200), (1280, 960))
        name = sha(data)
        assessment_id, response_id = new_id(), new_id()
        changes = [
            {"change_id": new_id(), "type": "assessment", "id": assessment_id,
             "fields": {"facility_id": int(facility_id), "checklist_id": "healthwise",
                        "checklist_version": 1}},
            {"change_id": new_id(), "type": "response", "id": response_id,
             "fields": {"assessment_id": assessment_id}},
            {"change_id": new_id(), "type": "answer", "id": new_id(),
             "fields": {"response_id": response_id, "checkpoint_id": checklist_ids()[0],
                        "photos": [name]}}]
        synced = requests.post(f"{server.url}/api/v1/sync", headers=headers, timeout=30,
                               json={"device_id": new_id(), "changes": changes}).json()
        assert {r["status"] for r in synced["results"]} == {"applied"}

        # Half the bytes, then the phone loses the network: the connection closes.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall((f"PUT /api/v1/photos/{name} HTTP/1.1\r\nHost: x\r\n"
                          f"Authorization: Bearer {token}\r\nContent-Type: image/jpeg\r\n"
                          f"Content-Length: {len(data)}\r\n\r\n").encode()
                         + data[: len(data) // 2])
            time.sleep(0.3)
        photos = instance / "photos"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the worker notices the cut, then cleans up
            left = [p for p in photos.rglob("*") if p.is_file()] if photos.exists() else []
            if not left:
                break
            time.sleep(0.1)
        assert left == []
        assert requests.get(f"{server.url}/api/v1/photos/{name}", headers=headers,
                            timeout=10).status_code == 404

        # The retry, sent by two phones at once and again: one photo, whole.
        def send(_):
            return requests.put(f"{server.url}/api/v1/photos/{name}", data=data, timeout=30,
                                headers={**headers, "Content-Type": "image/jpeg"}).status_code

        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(send, range(4)))
        assert set(statuses) <= {200, 201} and 201 in statuses
        assert send(0) == 200
        (stored_file,) = [p for p in photos.rglob("*") if p.is_file()]
        assert stored_file.read_bytes() == data
        got = requests.get(f"{server.url}/api/v1/photos/{name}", headers=headers, timeout=10)
        assert got.status_code == 200 and got.content == data


def test_the_limits_say_how_many_photos_a_record_carries(client):
    assert client.get("/api/v1/limits").get_json()["photos_per_record"] == 3
