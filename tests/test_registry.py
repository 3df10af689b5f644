"""The facility registry: its pages, CSV import (ours and DHIS2's), the import command.

The parser is tested with no Flask at all; the pages and the service against the
database (SQLite, and PostgreSQL with ``TEST_DATABASE_URL``). Access to every registry
route by every role is also in the matrix of ``tests/test_access.py``.
"""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from healthwise.extensions import db
from healthwise.facilities import importer
from healthwise.facilities.models import District, Facility
from tests.conftest import count, csrf_token, loaded, sign_in

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "dhis2_organisation_units.csv"
SIMPLE = ("district,name,type,code\r\n"
          "North,Lakeside Clinic,clinic,NO-014\r\n"
          "North,Hilltop District Hospital,hospital,NO-001\r\n"
          "South,Centre de Santé de Bélanou,Centre de santé,\r\n")


# The parser, pure ---------------------------------------------------------------------------


def test_our_format_with_bom_semicolons_crlf_arabic_and_french():
    data = ("\ufeffdistrict;name;type;code\r\n"
            "الشمال;مستوصف الأمل;مستوصف;AR-1\r\n"
            "\r\n"
            'Nord;"Hôpital de Kara; aile B";Hôpital;\r\n').encode()
    parsed = importer.parse(data)
    assert parsed.format == importer.SIMPLE and parsed.problems == []
    assert [(f.line, f.district.name, f.name, f.kind, f.code) for f in parsed.facilities] == [
        (2, "الشمال", "مستوصف الأمل", "dispensary", "AR-1"),
        (4, "Nord", "Hôpital de Kara; aile B", "hospital", None)]


def test_a_dhis2_export_gives_the_leaves_under_their_parents():
    parsed = importer.parse(FIXTURE.read_bytes())
    assert parsed.format == importer.DHIS2 and parsed.problems == []
    assert parsed.skipped == 2  # the country and the region
    by_uid = {f.external_id: f for f in parsed.facilities}
    assert len(by_uid) == 6
    assert {f.district.name for f in parsed.facilities} == {"Mareba District",
                                                            "Oued Zitoun District"}
    hospital = by_uid["Fa1HcK2mNpq"]
    assert (hospital.name, hospital.code, hospital.kind, hospital.guessed_kind) == (
        "Mareba Government Hospital", "KV-MAR-001", None, "hospital")
    assert hospital.district.external_id == "Dl4PzQx9eHf"
    assert hospital.district.code == "KV-E-MAR"
    assert by_uid["Fe5MgP6rStu"].guessed_kind == "dispensary"  # مستوصف


def test_a_dhis2_path_file_without_parents_in_it():
    data = (b"uid,name,code,level,path\n"
            b"f1,Kolenti CHC,K1,4,/c/r/d1/f1\n"
            b"f2,Sanve Clinic,,4,/c/r/d1/f2\n")
    parsed = importer.parse(data)
    assert parsed.format == importer.DHIS2 and parsed.problems == []
    assert [(f.external_id, f.district.external_id, f.district.name)
            for f in parsed.facilities] == [("f1", "d1", None), ("f2", "d1", None)]


@pytest.mark.parametrize("data, line, code", [
    (b"district,name,type\nNorth,,clinic\n", 2, "missing"),
    (b"district,name,type\nNorth,A,castle\n", 2, "unknown_type"),
    (b"district,name,type\nNorth,A,clinic\nNorth,B,clinic\n\nNorth,a,clinic\n", 5,
     "duplicate_name"),
    (b"district,name,type,code\nN,A,clinic,X\nN,B,clinic,X\n", 3, "duplicate_code"),
    (b"district,name,type\nN," + b"x" * 201 + b",clinic\n", 2, "too_long"),
    (b"district,name,type\nN,A\x1b,clinic\n", 2, "bad_text"),
    (b"district,name,type\nN,A,clinic\nN,\xe9cole,clinic\n", 3, "bad_encoding"),
    (b'district,name,type\nN,A,clinic\nN,"B,clinic\n', 3, "not_csv"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 0, "not_csv"),
    (b"colour,size\nred,3\n", 1, "unknown_header"),
    (b"district,name,type\n", 0, "empty"),
    (b"", 0, "empty"),
    (b"id,name,parent\nf1,A,d1\nf1,B,d1\n", 3, "duplicate_id"),
    (b"id,name,level,parent\nf1,A,x,d1\n", 2, "bad_level"),
    (b"id,name,parent\nf1,A,\n", 2, "no_parent"),
])
def test_a_bad_line_is_reported_with_its_number_and_nothing_is_kept(data, line, code):
    parsed = importer.parse(data)
    assert (parsed.problems[0].line, parsed.problems[0].code) == (line, code)
    assert parsed.facilities == []


def test_every_bad_line_is_reported_in_order():
    data = b"district,name,type\nN,,clinic\nN,A,clinic\nN,B,castle\n"
    assert [(p.line, p.code) for p in importer.parse(data).problems] == [
        (2, "missing"), (4, "unknown_type")]


def test_too_large_and_too_many_rows():
    assert importer.parse(b"x" * (importer.MAX_BYTES + 1)).problems[0].code == "too_large"
    rows = "".join(f"N,Facility {i},clinic\n" for i in range(importer.MAX_ROWS + 1))
    parsed = importer.parse(f"district,name,type\n{rows}".encode())
    assert [(p.line, p.code) for p in parsed.problems] == [
        (importer.MAX_ROWS + 2, "too_many_rows")]
    at_limit = "".join(f"N,Facility {i},clinic\n" for i in range(importer.MAX_ROWS))
    assert len(importer.parse(f"district,name,type\n{at_limit}".encode()).facilities) == (
        importer.MAX_ROWS)


def test_utf16_from_excel_and_a_default_district():
    data = "name\ttype\r\nLakeside Clinic\tclinic\r\n".encode("utf-16")
    parsed = importer.parse(data, default_district="North")
    assert [(f.district.name, f.name) for f in parsed.facilities] == [
        ("North", "Lakeside Clinic")]


# Pages --------------------------------------------------------------------------------------


@pytest.fixture
def north(make_facility):
    """District North with Lakeside Clinic; South with Market Clinic, in another district."""
    lakeside = make_facility("Lakeside Clinic")
    market = make_facility("Market Clinic", district=District(name="South"))
    return lakeside, market


def _manager_of(app, make_user, facility):
    with loaded(app) as session:
        district = session.get(District, facility.district_id)
    return make_user("manager", [district])


def _client(app, user):
    client = app.test_client()
    client.csrf = csrf_token(client)
    sign_in(client, user)
    return client


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": client.csrf, **data})


def _rows(app):
    with app.app_context():
        return sorted((f.district.name if f.district else None, f.name, f.kind, f.code,
                       f.external_id, f.updated_at)
                      for f in db.session.scalars(select(Facility)))


def test_a_manager_creates_and_edits_a_facility_of_their_district(app, make_user, north):
    lakeside, market = north
    client = _client(app, _manager_of(app, make_user, lakeside))
    page = client.get("/manage/registry/").get_data(as_text=True)
    assert "Lakeside Clinic" in page and "Market Clinic" not in page
    assert "/manage/registry/" in client.get("/manage/").get_data(as_text=True)
    response = _post(client, "/manage/registry/facilities/new", name="  Hill Hospital ",
                     kind="hospital", code="NO-2", district_id=str(lakeside.district_id))
    assert response.status_code == 303
    created = fetch_one(app, name="Hill Hospital")
    assert (created.kind, created.code, created.district_id) == (
        "hospital", "NO-2", lakeside.district_id)
    response = _post(client, f"/manage/registry/facilities/{created.id}/edit",
                     name="Hill District Hospital", kind="other", code="",
                     district_id=str(lakeside.district_id))
    assert response.status_code == 303
    edited = fetch_one(app, id=created.id)
    assert (edited.name, edited.kind, edited.code) == ("Hill District Hospital", "other", None)
    assert "Hill District Hospital" in client.get("/manage/registry/").get_data(as_text=True)


def fetch_one(app, **where):
    with app.app_context():
        return db.session.scalar(select(Facility).filter_by(**where))


@pytest.mark.parametrize("fields, field", [
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "A\u202eB"}, "name"),
    ({"kind": "castle"}, "kind"),
    ({"code": "c" * 51}, "code"),
    ({"code": "NO-1"}, "code"),  # Lakeside's
    ({"district_id": "abc"}, "district_id"),
    ({"district_id": "99999999999999999999"}, "district_id"),
])
def test_a_bad_facility_form_says_why_and_changes_nothing(app, make_user, north, fields,
                                                          field):
    lakeside, market = north
    with app.app_context():
        db.session.get(Facility, lakeside.id).code = "NO-1"
        db.session.commit()
    client = _client(app, _manager_of(app, make_user, lakeside))
    before = _rows(app)
    form = {"name": "Hill Hospital", "kind": "hospital", "code": "",
            "district_id": str(lakeside.district_id), **fields}
    response = _post(client, "/manage/registry/facilities/new", **form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and f'name="{field}"' in page
    assert _rows(app) == before


def test_a_manager_cannot_put_a_facility_in_another_district(app, make_user, north):
    lakeside, market = north
    client = _client(app, _manager_of(app, make_user, lakeside))
    before = _rows(app)
    for url in ("/manage/registry/facilities/new",
                f"/manage/registry/facilities/{lakeside.id}/edit"):
        response = _post(client, url, name="Moved", kind="clinic",
                         district_id=str(market.district_id))
        assert response.status_code == 422
        assert "Choose one of your districts." in response.get_data(as_text=True)
    assert _rows(app) == before


def test_access_to_a_facility_of_another_district(app, make_user, north, make_workshop):
    lakeside, market = north
    practice = make_workshop().facility
    manager = _client(app, _manager_of(app, make_user, lakeside))
    admin = _client(app, make_user("admin"))
    trainer = _client(app, make_user("trainer"))
    anonymous = app.test_client()
    for facility_id in (market.id, practice.id, 987654):
        assert manager.get(f"/manage/registry/facilities/{facility_id}/edit").status_code == 404
        response = _post(manager, f"/manage/registry/facilities/{facility_id}/edit",
                         name="Mine now", kind="clinic", district_id=str(lakeside.district_id))
        assert response.status_code == 404
    assert admin.get(f"/manage/registry/facilities/{market.id}/edit").status_code == 200
    assert admin.get(f"/manage/registry/facilities/{practice.id}/edit").status_code == 404
    assert trainer.get("/manage/registry/").status_code == 403
    assert trainer.get(f"/manage/registry/facilities/{lakeside.id}/edit").status_code == 403
    response = anonymous.get("/manage/registry/import")
    assert response.status_code == 302 and "/manage/sign-in" in response.headers["Location"]
    assert fetch_one(app, id=market.id).name == "Market Clinic"


def test_an_admin_creates_and_renames_districts_a_manager_cannot(app, make_user, north):
    lakeside, _ = north
    admin = _client(app, make_user("admin"))
    response = _post(admin, "/manage/registry/districts/new", name="East", code="KV-E")
    assert response.status_code == 303
    with app.app_context():
        east = db.session.scalar(select(District).filter_by(name="East"))
        assert east.code == "KV-E"
    response = _post(admin, f"/manage/registry/districts/{east.id}/edit", name="East Coast",
                     code="KV-E")
    assert response.status_code == 303
    response = _post(admin, "/manage/registry/districts/new", name="Other", code="KV-E")
    assert response.status_code == 422 and count(app, District) == 3
    manager = _client(app, _manager_of(app, make_user, lakeside))
    assert _post(manager, "/manage/registry/districts/new", name="Mine").status_code == 403
    assert manager.get(f"/manage/registry/districts/{east.id}/edit").status_code == 403
    assert admin.get("/manage/registry/districts/987654/edit").status_code == 404
    with app.app_context():
        assert [d.name for d in db.session.scalars(select(District).order_by(District.id))] == [
            "North District", "South", "East Coast"]


# Import -------------------------------------------------------------------------------------


def _multipart(data: bytes, filename: str, fields: dict) -> bytes:
    """Return a multipart body written out (the test client would spool a large one to a
    temporary file that it leaves open)."""
    parts = [f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items()]
    parts.append(f'--b\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                 + data + b"\r\n")
    return b"".join(parts) + b"--b--\r\n"


def _upload(client, data: bytes, filename="facilities.csv", url="/manage/registry/import",
            **fields):
    body = _multipart(data, filename, {"csrf_token": client.csrf, **fields})
    return client.post(url, data=body, content_type="multipart/form-data; boundary=b")


def _summary(page: str) -> dict:
    """Return the facilities' counts of an import's summary: {"created": 6, ...}."""
    return {label: int(number) for label, number in
            re.findall(r"<dt>Facilities (\w+)</dt><dd>(\d+)</dd>", page)}


def test_an_admin_imports_a_dhis2_export_twice_and_then_a_rename(app, make_user):
    admin = _client(app, make_user("admin"))
    response = _upload(admin, FIXTURE.read_bytes())
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _summary(response.get_data(as_text=True))["created"] == 6
    assert count(app, District) == 2 and count(app, Facility) == 6
    first = _rows(app)
    assert [row[:5] for row in first if row[1] == "Mareba Government Hospital"] == [
        ("Mareba District", "Mareba Government Hospital", "hospital", "KV-MAR-001",
         "Fa1HcK2mNpq")]
    with app.app_context():
        mareba = db.session.scalar(select(District).filter_by(external_id="Dl4PzQx9eHf"))
        assert (mareba.name, mareba.code) == ("Mareba District", "KV-E-MAR")
        district_stamp = mareba.updated_at

    again = _upload(admin, FIXTURE.read_bytes())
    assert _summary(again.get_data(as_text=True)) == {"created": 0, "updated": 0,
                                                       "unchanged": 6}
    assert _rows(app) == first  # nothing written: not even updated_at
    with app.app_context():
        assert db.session.get(District, mareba.id).updated_at == district_stamp

    renamed = FIXTURE.read_bytes().replace(b"Kolenti CHC,Kolenti", b"Kolenti Health Centre,K")
    response = _upload(admin, renamed)
    assert _summary(response.get_data(as_text=True)) == {"created": 0, "updated": 1,
                                                          "unchanged": 5}
    assert count(app, Facility) == 6
    assert fetch_one(app, external_id="Fb2JdL3nPqr").name == "Kolenti Health Centre"


def test_a_manager_imports_our_format_into_their_district(app, make_user, north):
    lakeside, market = north
    client = _client(app, _manager_of(app, make_user, lakeside))
    data = ("district;name;type;code\r\n"
            "North District;lakeside clinic;Clinique;NO-014\r\n"
            "North District;مستشفى التلة;مستشفى;NO-001\r\n").encode("utf-8-sig")
    response = _upload(client, data)
    assert response.status_code == 200
    assert _summary(response.get_data(as_text=True)) == {"created": 1, "updated": 1,
                                                          "unchanged": 0}
    assert fetch_one(app, id=lakeside.id).code == "NO-014"  # found by name, code added
    assert fetch_one(app, name="مستشفى التلة").kind == "hospital"
    again = _upload(client, data)
    assert _summary(again.get_data(as_text=True))["unchanged"] == 2


def test_the_same_file_in_the_manager_s_own_district_imports(app, make_user, north):
    lakeside, _ = north
    client = _client(app, _manager_of(app, make_user, lakeside))
    data = SIMPLE.replace("South,", "North,").replace("North,", "North District,")
    response = _upload(client, data.encode())
    assert response.status_code == 200
    # Lakeside Clinic is found by its name and gets its code; the other two are new.
    assert _summary(response.get_data(as_text=True)) == {"created": 2, "updated": 1,
                                                          "unchanged": 0}
    assert fetch_one(app, id=lakeside.id).code == "NO-014"
    assert fetch_one(app, name="Centre de Santé de Bélanou").kind == "health centre"


@pytest.mark.parametrize("data, line, words", [
    (SIMPLE, 4, "South is not one of your districts"),
    (SIMPLE.replace("NO-001", "NO-014"), 3, "NO-014 is already on line 2"),
    (SIMPLE.replace("hospital", "castle"), 3, "Unknown facility type"),
    (SIMPLE.replace("Lakeside Clinic", ""), 2, "The column name is empty"),
])
def test_a_manager_s_bad_file_imports_nothing(app, make_user, north, data, line, words):
    lakeside, _ = north
    client = _client(app, _manager_of(app, make_user, lakeside))
    data = data.replace("North,", "North District,")
    before = _rows(app)
    response = _upload(client, data.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Line {line}: " in page and words in page and "Nothing was imported" in page
    assert _rows(app) == before and count(app, District) == 2


def test_an_import_is_all_or_nothing_for_an_admin_too(app, make_user, north):
    lakeside, _ = north
    with app.app_context():
        found = db.session.get(Facility, lakeside.id)
        found.code, found.external_id = "NO-9", "L1"
        db.session.commit()
    admin = _client(app, make_user("admin"))
    before = _rows(app)
    data = ("id,name,code,parent\n"
            "r1,Region,,\n"
            "dE,East,,r1\n"
            "fE,New One,E-1,dE\n"        # a new district and facility: not kept
            "dN,North District,,r1\n"    # North gets its DHIS2 id: not kept
            "fX,Hill,NO-9,dN\n")         # another unit with Lakeside's code
    response = _upload(admin, data.encode())
    assert response.status_code == 422
    assert "Line 6: The code NO-9 is already used" in response.get_data(as_text=True)
    assert _rows(app) == before and count(app, District) == 2
    with app.app_context():
        assert db.session.scalar(select(District.external_id).filter_by(
            name="North District")) is None


@pytest.mark.parametrize("data, filename, words", [
    (b"", "", "Choose a CSV file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "picture.png", "cannot be read as CSV"),
    (b"district,name,type\nN,\xff\xfeA,clinic\n", "x.csv", "Line 2: "),
    (b"x" * (importer.MAX_BYTES + 10), "big.csv", "larger than 2 MB"),
])
def test_files_that_are_not_ours_get_a_readable_page(app, make_user, data, filename, words):
    admin = _client(app, make_user("admin"))
    response = _upload(admin, data, filename=filename)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert count(app, Facility) == 0


def test_an_upload_past_the_request_limit_is_a_page_not_a_crash(app, make_user):
    admin = _client(app, make_user("admin"))
    response = _upload(admin, b"x" * app.config["MAX_CONTENT_LENGTH"])
    assert response.status_code == 413 and "text/html" in response.content_type
    assert count(app, Facility) == 0


def test_the_registry_speaks_french_and_arabic(app, make_user, north):
    admin = _client(app, make_user("admin"))
    french = _upload(admin, b"district,name,type\nN,A,castle\n",
                     url="/manage/registry/import?lang=fr").get_data(as_text=True)
    assert "Rien n'a été importé" in french and "Ligne 2 : " in french
    arabic = admin.get("/manage/registry/?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "سجل المنشآت" in arabic
    assert "<bdi>Lakeside Clinic</bdi>" in arabic


# The command --------------------------------------------------------------------------------


@pytest.fixture
def runner(app):
    """Invoke the ``healthwise`` command against the test app (as test_cli_and_setup does)."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from healthwise.cli import main

    class Runner:
        def invoke(self, args):
            return CliRunner().invoke(main, args, obj=ScriptInfo(create_app=lambda: app))

    return Runner()


def test_the_import_command(app, runner, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(FIXTURE.read_bytes())
    first = runner.invoke(["facility", "import", str(path)])
    assert first.exit_code == 0, first.output
    assert "created 6, updated 0, unchanged 0" in first.output
    again = runner.invoke(["facility", "import", str(path)])
    assert "created 0, updated 0, unchanged 6" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("district,name,type\nNorth,Lakeside Clinic,clinic\nNorth,Hill,castle\n")
    failed = runner.invoke(["facility", "import", str(bad)])
    assert failed.exit_code != 0 and "Line 3: Unknown facility type" in failed.output
    assert count(app, Facility) == 6 and count(app, District) == 2
    named = tmp_path / "named.csv"
    named.write_text("name,type\nLakeside Clinic,clinic\n")
    into = runner.invoke(["facility", "import", str(named), "--district", "North"])
    assert into.exit_code == 0, into.output
    with app.app_context():
        found = db.session.scalar(select(Facility).filter_by(name="Lakeside Clinic"))
        assert found.district.name == "North"
