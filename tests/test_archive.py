"""What a student hands in becomes a folder mirroring exercises/, or a clear refusal."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from grader import archive
from grader.archive import SubmissionRejected, unpacked

SHAPES = b"def conv2d_output_size(*a, **k):\n    return 1\n"
CUTOUT = b"def cutout(images, size=8, rng=None):\n    return images\n"


def make_zip(path: Path, entries: dict, *, modes: dict | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (modes or {}).get(name, 0o100644) << 16
            zf.writestr(info, data)
    return path


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def snapshot(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


# --- accepted layouts -------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "exercises/", "submission/exercises/", "alice/"])
def test_zip_layouts_are_accepted(tmp_path, prefix):
    zpath = make_zip(tmp_path / "sub.zip", {f"{prefix}ex1/shapes.py": SHAPES, f"{prefix}ex3/cutout.py": CUTOUT,
                                            f"{prefix}ex3/test_cutout.py": b"junk", f"{prefix}notes.md": b"hi"})
    with unpacked(zpath) as root:
        assert files_under(root) == {"ex1/shapes.py": SHAPES, "ex3/cutout.py": CUTOUT}
    assert not root.exists(), "the temporary folder is removed afterwards"


def test_zip_with_leading_exercises_folder_and_macos_junk(tmp_path):
    zpath = make_zip(tmp_path / "grace.zip", {"exercises/ex1/shapes.py": SHAPES,
                                              "__MACOSX/exercises/ex1/._shapes.py": b"\x00\x05",
                                              ".DS_Store": b"x"})
    with unpacked(zpath) as root:
        assert files_under(root) == {"ex1/shapes.py": SHAPES}


def test_flat_modules_without_folders(tmp_path):
    zpath = make_zip(tmp_path / "flat.zip", {"shapes.py": SHAPES, "cutout.py": CUTOUT})
    with unpacked(zpath) as root:
        assert files_under(root) == {"ex1/shapes.py": SHAPES, "ex3/cutout.py": CUTOUT}


@pytest.mark.parametrize("prefix", ["", "exercises/", "bob/exercises/"])
def test_folder_layouts_are_accepted(tmp_path, prefix):
    src = tmp_path / "bob_sub"
    (src / prefix / "ex1").mkdir(parents=True)
    (src / prefix / "ex1" / "shapes.py").write_bytes(SHAPES)
    (src / prefix / "ex1" / "helper.py").write_bytes(b"x = 1")  # a helper is graded with its exercise
    (src / prefix / "ex1" / "test_shapes.py").write_bytes(b"x = 1")
    with unpacked(src) as root:
        assert files_under(root) == {"ex1/shapes.py": SHAPES, "ex1/helper.py": b"x = 1"}


def test_missing_modules_are_simply_absent(tmp_path):
    zpath = make_zip(tmp_path / "one.zip", {"ex3/cutout.py": CUTOUT})
    with unpacked(zpath) as root:
        assert sorted(p.name for p in root.iterdir()) == ["ex3"]


def test_nothing_to_grade_is_refused_with_a_hint(tmp_path):
    zpath = make_zip(tmp_path / "empty.zip", {"notes.txt": b"hello"})
    with pytest.raises(SubmissionRejected, match="no exercise file was found.*ex1/shapes.py"):
        with unpacked(zpath):
            pass


def test_not_a_zip_and_not_a_folder(tmp_path):
    bogus = tmp_path / "sub.zip"
    bogus.write_bytes(b"this is not a zip")
    with pytest.raises(SubmissionRejected, match="not a valid .zip"):
        with unpacked(bogus):
            pass
    text = tmp_path / "shapes.py"
    text.write_bytes(SHAPES)
    with pytest.raises(SubmissionRejected, match="neither a folder nor a .zip"):
        with unpacked(text):
            pass
    with pytest.raises(FileNotFoundError):
        with unpacked(tmp_path / "absent"):
            pass


# --- refused archives -------------------------------------------------------------------------


@pytest.mark.parametrize("name, reason", [
    ("../evil.py", "goes up a folder"),
    ("ex1/../../evil.py", "goes up a folder"),
    ("/etc/evil.py", "absolute path"),
    ("C:/evil.py", "drive letter"),
    ("c:evil.py", "drive letter"),
    ("..\\..\\evil.py", "backslashes"),
    ("ex1\\shapes.py", "backslashes"),
])
def test_zip_slip_is_refused(tmp_path, name, reason):
    zpath = make_zip(tmp_path / "slip.zip", {"ex1/shapes.py": SHAPES, name: b"print('owned')"})
    before = snapshot(tmp_path)
    with pytest.raises(SubmissionRejected, match=reason):
        with unpacked(zpath):
            pass
    assert snapshot(tmp_path) == before, "nothing was written anywhere"


def test_nul_in_a_name_is_refused():
    assert archive.unsafe_name_reason("ex1/shapes.py\x00.txt") == "contains a NUL character"
    assert archive.unsafe_name_reason("exercises/ex1/shapes.py") is None
    assert archive.unsafe_name_reason("a..b/shapes.py") is None  # '..' only as a whole part


def test_symlink_entries_are_refused(tmp_path):
    zpath = make_zip(tmp_path / "link.zip", {"ex1/shapes.py": b"/etc/passwd"},
                     modes={"ex1/shapes.py": 0o120777})
    with pytest.raises(SubmissionRejected, match="symbolic link"):
        with unpacked(zpath):
            pass


def test_zip_bomb_is_refused_by_its_ratio(tmp_path):
    zpath = make_zip(tmp_path / "bomb.zip", {"ex1/shapes.py": SHAPES, "data.bin": b"\0" * (4 * 1024 * 1024)})
    with pytest.raises(SubmissionRejected, match="zip bomb"):
        with unpacked(zpath):
            pass


def test_oversized_files_and_totals_are_refused(tmp_path, monkeypatch):
    big = os.urandom(archive.MAX_FILE_BYTES + 1)  # incompressible: not a bomb, just too big
    zpath = make_zip(tmp_path / "big.zip", {"ex1/shapes.py": big})
    with pytest.raises(SubmissionRejected, match="per file"):
        with unpacked(zpath):
            pass
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 3000)
    many = make_zip(tmp_path / "many.zip", {f"ex{i}/x{i}.bin": b"a" * 1000 for i in range(1, 5)})
    with pytest.raises(SubmissionRejected, match="more than"):
        with unpacked(many):
            pass


def test_too_many_entries_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_ENTRIES", 5)
    zpath = make_zip(tmp_path / "crowd.zip", {f"junk/{i}.txt": b"x" for i in range(6)})
    with pytest.raises(SubmissionRejected, match="entries"):
        with unpacked(zpath):
            pass


def test_lying_headers_are_caught_while_extracting(tmp_path, monkeypatch):
    """A header that understates the size: the bytes actually decompressed are counted."""
    data = os.urandom(200_000)
    zpath = make_zip(tmp_path / "liar.zip", {"ex1/shapes.py": data})
    raw = bytearray(zpath.read_bytes())
    size = len(data).to_bytes(4, "little")
    small = (1000).to_bytes(4, "little")
    assert raw.count(size) == 2  # the local header and the central directory
    raw = raw.replace(size, small)
    zpath.write_bytes(bytes(raw))
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", 100_000)
    with pytest.raises(SubmissionRejected):
        with unpacked(zpath):
            pass


def test_duplicate_entries_are_refused(tmp_path):
    zpath = tmp_path / "dup.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("ex1/shapes.py", SHAPES)
        with pytest.warns(UserWarning):
            zf.writestr("ex1/shapes.py", b"other")
    with pytest.raises(SubmissionRejected, match="twice"):
        with unpacked(zpath):
            pass


def test_encrypted_entries_are_refused(tmp_path):
    zpath = make_zip(tmp_path / "locked.zip", {"ex1/shapes.py": SHAPES})
    raw = bytearray(zpath.read_bytes())
    # set the "encrypted" flag bit in the local header (offset 6) and the central directory (offset 8)
    local = raw.find(b"PK\x03\x04")
    central = raw.find(b"PK\x01\x02")
    raw[local + 6] |= 1
    raw[central + 8] |= 1
    zpath.write_bytes(bytes(raw))
    with pytest.raises(SubmissionRejected, match="encrypted"):
        with unpacked(zpath):
            pass


# --- folders: symlinks are never followed ------------------------------------------------------


def test_folder_symlinks_are_not_followed(tmp_path):
    secret = tmp_path / "secret"
    (secret / "ex1").mkdir(parents=True)
    (secret / "ex1" / "shapes.py").write_bytes(b"SECRET = 1\n")
    sub = tmp_path / "sub"
    (sub / "ex3").mkdir(parents=True)
    (sub / "ex3" / "cutout.py").write_bytes(CUTOUT)
    (sub / "ex1").symlink_to(secret / "ex1")  # a linked folder
    (sub / "ex2").mkdir()
    (sub / "ex2" / "mixup.py").symlink_to(secret / "ex1" / "shapes.py")  # a linked file
    with unpacked(sub) as root:
        assert files_under(root) == {"ex3/cutout.py": CUTOUT}
        assert not any(p.is_symlink() for p in root.rglob("*"))


def test_folder_exercises_symlink_is_not_followed(tmp_path):
    real = tmp_path / "real"
    (real / "ex1").mkdir(parents=True)
    (real / "ex1" / "shapes.py").write_bytes(SHAPES)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "exercises").symlink_to(real)
    with pytest.raises(SubmissionRejected, match="no exercise file"):
        with unpacked(sub):
            pass


def test_oversized_module_in_a_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", 100)
    sub = tmp_path / "sub"
    (sub / "ex1").mkdir(parents=True)
    (sub / "ex1" / "shapes.py").write_bytes(b"#" * 101)
    with pytest.raises(SubmissionRejected, match="larger than"):
        with unpacked(sub):
            pass


def test_extracted_files_are_plain_and_inside(tmp_path):
    zpath = make_zip(tmp_path / "ok.zip", {"exercises/ex1/shapes.py": SHAPES},
                     modes={"exercises/ex1/shapes.py": 0o104777})  # setuid bits in the zip are ignored
    with unpacked(zpath) as root:
        path = root / "ex1" / "shapes.py"
        assert path.resolve().is_relative_to(root.resolve())
        assert not path.stat().st_mode & (stat.S_ISUID | stat.S_ISGID)
