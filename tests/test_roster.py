"""The roster: LMS download names find their students, and Canvas gets its own import format."""

from __future__ import annotations

import csv
import io

import pytest

from grader import roster
from grader.results import Result
from tests.test_batch import fake_batch, make_class

ROSTER = """id,name,email,login
123,Yara Smith,yara.smith@uni.edu,ysmith
456,"Lee, Ann",ann.lee@uni.edu,alee
789,Bo Chen,bo.chen@uni.edu,bchen
1011,Zoë Ñúñez,zn@uni.edu,znunez
2022,Sam Okafor,sam@uni.edu,sokafor
"""

# What each LMS calls a student's submission once downloaded (and one nobody can claim).
SUBMISSIONS = {
    "Yara Smith_123_assignsubmission_file_": "123",   # Moodle: full name, id
    "cnn-exercises-alee": "456",                       # GitHub Classroom: assignment-login
    "Lab3_znunez_attempt_2026-11-30-10-00-00": "1011",  # Blackboard: assignment_username_attempt_date
    "okaforsam_2022_98765": "2022",                    # Canvas: lastfirst_userid_submissionid
}


def _students(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return roster.read_roster(path)


def _result(name, score):
    return Result.from_dict({"submission": name, "score": score, "max_score": 70.0, "exercises": {}})


def test_lms_download_names_find_their_students(tmp_path):
    matching = roster.match(_students(tmp_path), [*SUBMISSIONS, "mystery_upload"])
    assert matching.by_student == {sid: sub for sub, sid in SUBMISSIONS.items()}
    assert matching.missing == ["789"]
    assert matching.unmatched == ["mystery_upload"]
    assert matching.ambiguous == {}


def test_two_submissions_for_one_student_are_not_guessed(tmp_path):
    matching = roster.match(_students(tmp_path), ["ysmith", "Yara Smith_123_assignsubmission_file_"])
    assert "123" not in matching.by_student and "123" in matching.missing
    assert set(matching.ambiguous) == {"ysmith", "Yara Smith_123_assignsubmission_file_"}


def test_a_single_column_rule_needs_an_exact_name(tmp_path):
    students = _students(tmp_path)
    assert roster.match(students, ["ysmith", "alee_v2"], rule="login").by_student == {"123": "ysmith"}
    assert roster.match(students, ["Yara Smith"], rule="name").by_student == {"123": "Yara Smith"}
    with pytest.raises(roster.RosterError, match="unknown match rule"):
        roster.match(students, [], rule="nickname")


@pytest.mark.parametrize("text, message", [
    ("name,email\nYara,y@u\n", "missing: id"),
    ("id,name\n1,A\n1,B\n", "line 3: the id '1' appears twice"),
    ("id,name\n,A\n", "line 2: a student without an id"),
])
def test_a_bad_roster_says_what_and_where(tmp_path, text, message):
    (tmp_path / "r.csv").write_text(text)
    with pytest.raises(roster.RosterError, match=message):
        roster.read_roster(tmp_path / "r.csv")


def test_canvas_gradebook_has_canvas_export_columns(tmp_path):
    students = _students(tmp_path)
    results = {sub: _result(sub, 50.0 + i) for i, sub in enumerate(SUBMISSIONS)}
    matching = roster.match(students, list(results))
    rows = list(csv.reader(io.StringIO(roster.canvas_csv(students, matching, results, "CNN exercises (4242)"))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "CNN exercises (4242)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "70"]
    by_id = {row[1]: row for row in rows[2:]}
    assert by_id["123"] == ["Yara Smith", "123", "123", "ysmith", "", "50"]
    assert by_id["456"][0] == "Lee, Ann" and by_id["456"][5] == "51"
    assert by_id["789"][5] == "", "no submission: left ungraded, not 0"
    with pytest.raises(roster.RosterError, match="Title \\(id\\)"):
        roster.canvas_csv(students, matching, results, "CNN exercises")


def test_batch_with_a_roster_lists_missing_and_unmatched(tmp_path):
    make_class(tmp_path / "class", ["ysmith", "cnn-exercises-alee", "stranger"])
    (tmp_path / "roster.csv").write_text(ROSTER)
    out, said = tmp_path / "out", []
    fake_batch(tmp_path / "class", out, roster=tmp_path / "roster.csv", canvas="CNN (1)", report=said.append)
    rows = {r["id"] or r["submission"]: r for r in csv.DictReader(open(out / "_class" / "roster.csv"))}
    assert rows["123"]["submission"] == "ysmith" and rows["123"]["status"] == "graded"
    assert rows["789"]["status"] == "missing" and rows["stranger"]["status"] == "no student"
    assert (out / "_class" / "gradebook-canvas.csv").is_file()
    text = said[0]
    assert "no submission from 3 student(s) on the roster" in text and "Bo Chen (789)" in text
    assert "1 submission(s) match no student on the roster" in text and "  stranger" in text


def test_a_bad_canvas_column_stops_the_batch_before_grading(tmp_path):
    make_class(tmp_path / "class", ["ysmith"])
    (tmp_path / "roster.csv").write_text(ROSTER)
    with pytest.raises(roster.RosterError):
        fake_batch(tmp_path / "class", tmp_path / "out", roster=tmp_path / "roster.csv", canvas="CNN")
    assert not (tmp_path / "out" / "ysmith").exists()
