"""The export generator itself: deterministic, hard names, both encodings, next year."""

from schulhof.schoolimport import testdata


def test_deterministic_and_sized():
    first = testdata.school(300)
    assert first == testdata.school(300)
    assert len(first) == 300
    assert len({p.record_id for p in first}) == 300
    assert {p.class_name for p in first} >= {"5a", "10a", "EF", "Q1", "Q2"}


def test_hard_names_are_in_and_windows_loses_letters():
    pupils = testdata.school(200)
    names = {(p.first_name, p.last_name) for p in pupils}
    assert ("Γιώργος", "Παπαδόπουλος") in names and ("Minh Anh", "Nguyễn") in names
    assert testdata.pupil_export(pupils).decode("utf-8").count("Nguyễn") == 1
    windows = testdata.pupil_export(pupils, encoding="cp1252").decode("cp1252")
    assert "Nguy?n" in windows and "Öztürk" in windows and "????????????" in windows


def test_next_year():
    pupils = testdata.school(200)
    year = testdata.next_year(pupils)
    by_id = {p.record_id: p for p in year.pupils}
    assert len(year.graduated) == sum(1 for p in pupils if p.year == "Q2")
    assert all(by_id[i].status == "8" for i in year.graduated)
    assert len(year.left_with_status) == 3 and all(
        by_id[i].status == "9" for i in year.left_with_status
    )
    assert len(year.missing) == 2 and not set(year.missing) & set(by_id)
    assert by_id[year.invalid].first_name == ""
    old = {p.record_id: p for p in pupils}
    tenth = next(p for p in pupils if p.year == "10")
    assert by_id[tenth.record_id].class_name == "EF"
    fifth = next(
        p
        for p in pupils
        if p.class_name == "5a"
        and p.record_id not in (year.switched, year.repeated, *year.missing, *year.left_with_status)
    )
    assert by_id[fifth.record_id].class_name == "6a"
    record_id, old_name, new_name = year.renamed
    assert old[record_id].last_name == old_name != new_name == by_id[record_id].last_name
    assert by_id[year.repeated].class_name == old[year.repeated].class_name
